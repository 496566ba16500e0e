package io.meridian.failover.execution;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.failover.database.Lsn;
import io.meridian.failover.quorum.Decision;

/**
 * A failover, switchover or rejoin: what it is about, where it stands, the time of every step and what was
 * measured. Served whole as the history at {@code /api/v1/failover/events}.
 *
 * @param id         the operation id (also the Kafka key of its failover events)
 * @param kind       what it does
 * @param cluster    the cluster it acts on
 * @param from       the old primary (failover, switchover) or the member that rejoins (rejoin)
 * @param to         the standby promoted in its place, once chosen
 * @param state      the step it is at, or how it ended
 * @param reason     why it began (the quorum's reasons, or the operator's)
 * @param actor      who began it ({@code system} for the quorum, else the operator's token subject)
 * @param decision   the quorum decision that began a failover
 * @param times      when each milestone happened
 * @param measured   RTO, RPO, detection time, write pause and the WAL positions they come from
 * @param candidates the standbys the lag gate measured
 * @param steps      every step carried out, with its executor and fencing token
 * @param outcome    how it ended, for people
 * @param condition  a Kubernetes-style condition: {@code Succeeded} True, False (with the reason) or Unknown while it runs
 * @param version    its version (bumped by every step)
 */
public record Operation(String id, OperationKind kind, String cluster, RegionId from, @Nullable RegionId to, OperationState state,
        String reason, String actor, @Nullable Decision decision, Times times, Measured measured, List<Candidate> candidates,
        List<Step> steps, @Nullable String outcome, Condition condition, long version) {

    public Operation {
        candidates = List.copyOf(candidates);
        steps = List.copyOf(steps);
    }

    /**
     * When each milestone happened.
     *
     * @param requestedAt  when the operation was created
     * @param faultAt      when the fault began: a drill's injection, else the first unhealthy observation of a counted observer
     * @param faultSource  where {@code faultAt} comes from
     * @param detectedAt   when the quorum decided
     * @param fencedAt     when the old primary stopped accepting writes (a switchover's write pause begins)
     * @param promotedAt   when the new primary accepted writes ({@code pg_promote} returned)
     * @param firstWriteAt when the first write on the new primary was acknowledged
     * @param finishedAt   when the operation ended
     */
    public record Times(Instant requestedAt, @Nullable Instant faultAt, @Nullable String faultSource, @Nullable Instant detectedAt,
            @Nullable Instant fencedAt, @Nullable Instant promotedAt, @Nullable Instant firstWriteAt, @Nullable Instant finishedAt) {
    }

    /**
     * What was measured.
     *
     * @param detectionMillis  fault to decision
     * @param rtoMillis        fault to the first acknowledged write on the new primary
     * @param writePauseMillis old primary fenced to the first acknowledged write on the new primary (a switchover's write pause)
     * @param rpoBytes         WAL the promoted standby missed against the old primary's furthest known position (0 for a
     *                         switchover, which waits for lag 0)
     * @param rpoBasis         what the reference position is
     * @param oldPrimaryLsn    the old primary's furthest known WAL position
     * @param fenceLsn         the old primary's WAL position once fenced (switchover)
     * @param promotedLsn      the promoted standby's WAL position when chosen
     * @param lostCommits      (rejoin) transactions the fenced old primary committed that the promoted standby never
     *                         received, read from its own WAL before it is re-seeded (failover-service's heartbeat writes
     *                         included); with {@code rpoBytes} and {@code oldPrimaryLsn} (its end of WAL) the measured RPO of
     *                         the failover that fenced it
     */
    public record Measured(@Nullable Long detectionMillis, @Nullable Long rtoMillis, @Nullable Long writePauseMillis, @Nullable Long rpoBytes,
            @Nullable String rpoBasis, @Nullable Lsn oldPrimaryLsn, @Nullable Lsn fenceLsn, @Nullable Lsn promotedLsn,
            @Nullable Integer lostCommits) {

        static final Measured NONE = new Measured(null, null, null, null, null, null, null, null, null);
    }

    /**
     * A Kubernetes-style condition.
     *
     * @param type               always {@code Succeeded}
     * @param status             {@code True}, {@code False} or {@code Unknown}
     * @param reason             a CamelCase reason ({@code ReplicationLagExceeded}, {@code Promoting})
     * @param message            for people
     * @param lastTransitionTime when it last changed
     */
    public record Condition(String type, String status, String reason, String message, Instant lastTransitionTime) {
    }

    /** A new operation at {@link OperationState#DETECTED}. */
    static Operation create(String id, OperationKind kind, String cluster, RegionId from, @Nullable RegionId to, String reason, String actor,
            @Nullable Decision decision, Times times, Measured measured) {
        return new Operation(id, kind, cluster, from, to, OperationState.DETECTED, reason, actor, decision, times, measured, List.of(), List.of(),
                null, new Condition("Succeeded", "Unknown", "Detected", kind + " of " + from + " accepted", times.requestedAt()), 0);
    }

    Builder toBuilder() {
        return new Builder(this);
    }

    /** Changes to an operation, applied by the executor as a step ends. */
    static final class Builder {
        private final Operation base;
        @Nullable RegionId to;
        OperationState state;
        Times times;
        Measured measured;
        List<Candidate> candidates;
        final List<Step> steps;
        @Nullable String outcome;
        Condition condition;

        private Builder(Operation base) {
            this.base = base;
            this.to = base.to;
            this.state = base.state;
            this.times = base.times;
            this.measured = base.measured;
            this.candidates = base.candidates;
            this.steps = new ArrayList<>(base.steps);
            this.outcome = base.outcome;
            this.condition = base.condition;
        }

        Builder fencedAt(Instant at) {
            times = new Times(times.requestedAt(), times.faultAt(), times.faultSource(), times.detectedAt(), at, times.promotedAt(),
                    times.firstWriteAt(), times.finishedAt());
            return this;
        }

        Builder promotedAt(Instant at) {
            times = new Times(times.requestedAt(), times.faultAt(), times.faultSource(), times.detectedAt(), times.fencedAt(), at,
                    times.firstWriteAt(), times.finishedAt());
            return this;
        }

        Builder firstWriteAt(Instant at) {
            times = new Times(times.requestedAt(), times.faultAt(), times.faultSource(), times.detectedAt(), times.fencedAt(),
                    times.promotedAt(), at, times.finishedAt());
            Long rto = times.faultAt() == null ? null : Duration.between(times.faultAt(), at).toMillis();
            Long detection = times.faultAt() == null || times.detectedAt() == null ? null
                    : Duration.between(times.faultAt(), times.detectedAt()).toMillis();
            Long pause = times.fencedAt() == null ? null : Duration.between(times.fencedAt(), at).toMillis();
            measured = new Measured(detection, rto, pause, measured.rpoBytes(), measured.rpoBasis(), measured.oldPrimaryLsn(),
                    measured.fenceLsn(), measured.promotedLsn(), measured.lostCommits());
            return this;
        }

        Builder finishedAt(Instant at) {
            times = new Times(times.requestedAt(), times.faultAt(), times.faultSource(), times.detectedAt(), times.fencedAt(),
                    times.promotedAt(), times.firstWriteAt(), at);
            return this;
        }

        Builder fenceLsn(Lsn lsn) {
            measured = new Measured(measured.detectionMillis(), measured.rtoMillis(), measured.writePauseMillis(), measured.rpoBytes(),
                    measured.rpoBasis(), measured.oldPrimaryLsn(), lsn, measured.promotedLsn(), measured.lostCommits());
            return this;
        }

        Builder rpo(@Nullable Lsn oldPrimary, @Nullable Lsn promoted, long bytes, String basis) {
            measured = new Measured(measured.detectionMillis(), measured.rtoMillis(), measured.writePauseMillis(), bytes, basis,
                    oldPrimary, measured.fenceLsn(), promoted, measured.lostCommits());
            return this;
        }

        Builder lostCommits(int commits) {
            measured = new Measured(measured.detectionMillis(), measured.rtoMillis(), measured.writePauseMillis(), measured.rpoBytes(),
                    measured.rpoBasis(), measured.oldPrimaryLsn(), measured.fenceLsn(), measured.promotedLsn(), commits);
            return this;
        }

        Operation build(long version) {
            return new Operation(base.id, base.kind, base.cluster, base.from, to, state, base.reason, base.actor, base.decision, times,
                    measured, candidates, steps, outcome, condition, version);
        }
    }
}
