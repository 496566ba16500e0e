package io.meridian.failover.execution;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.meridian.common.failover.FailoverEvent;
import io.meridian.common.region.RegionId;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.failover.database.DatabaseException;
import io.meridian.failover.database.Lsn;
import io.meridian.failover.database.ManagedDatabases;
import io.meridian.failover.host.HostActionException;
import io.meridian.failover.host.HostAdapter;
import io.meridian.failover.probe.ProbeBook;
import io.meridian.failover.quorum.Decision;
import io.meridian.failover.quorum.DecisionLog;
import io.meridian.failover.quorum.ObserverBook;
import io.meridian.failover.quorum.ObserverView;
import io.meridian.failover.quorum.QuorumDecider;
import io.meridian.failover.topology.Cluster;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.failover.topology.MemberRole;
import io.meridian.failover.topology.StoredCluster;
import io.meridian.failover.topology.Topology;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The executor: one thread that, while this instance holds the executor lease, carries every unfinished
 * operation to its end one persisted step at a time, and otherwise decides by quorum whether a cluster's primary
 * has failed and starts a failover. Every instance decides (for its status); only the lease holder acts.
 *
 * <p>Each step is persisted as current before it is carried out and moved on by a write that carries the lease's
 * fencing token, so that after a crash or a pause the next holder carries on from the step that was running, and
 * the paused instance's writes fail. Steps are safe to repeat (promoting a primary, fencing a dead member and
 * publishing an event again change nothing). Right before an action that cannot be taken back (fencing,
 * promotion, re-seeding) the lease is renewed against the database: an instance frozen for longer than the lease
 * finds out there, before it acts.
 */
@Component
public class FailoverExecutor implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(FailoverExecutor.class);
    private static final String VERIFY_WRITER = "failover-verify";

    private final FailoverProperties properties;
    private final ExecutorLease lease;
    private final OperationRepository operations;
    private final Topology topology;
    private final ManagedDatabases databases;
    private final HostAdapter hosts;
    private final ProbeBook probes;
    private final ObserverBook observers;
    private final DecisionLog decisions;
    private final FailoverEvents events;
    private final DrillLog drills;
    private final ObjectProvider<StepListener> listeners;
    private final TransactionTemplate tx;
    private final AuditLog audit;
    private final MeterRegistry meters;
    private final QuorumDecider decider;
    private final String self;
    private final Clock clock = Clock.systemUTC();
    private final Semaphore wakeup = new Semaphore(0);
    private volatile boolean running;
    private volatile @Nullable Thread thread;

    FailoverExecutor(FailoverProperties properties, ExecutorLease lease, OperationRepository operations, Topology topology,
            ManagedDatabases databases, HostAdapter hosts, ProbeBook probes, ObserverBook observers, DecisionLog decisions,
            FailoverEvents events, DrillLog drills, ObjectProvider<StepListener> listeners, TransactionTemplate tx, AuditLog audit,
            MeterRegistry meters) {
        this.properties = properties;
        this.lease = lease;
        this.operations = operations;
        this.topology = topology;
        this.databases = databases;
        this.hosts = hosts;
        this.probes = probes;
        this.observers = observers;
        this.decisions = decisions;
        this.events = events;
        this.drills = drills;
        this.listeners = listeners;
        this.tx = tx;
        this.audit = audit;
        this.meters = meters;
        this.decider = new QuorumDecider(properties.quorum());
        this.self = properties.observer();
    }

    @Override
    public void start() {
        running = true;
        thread = Thread.ofPlatform().name("failover-executor").daemon().start(this::loop);
    }

    @Override
    public void stop() {
        running = false;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            lease.release();
        } catch (RuntimeException e) {
            log.debug("Could not release the executor lease: {}", e.getMessage());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Makes the executor look at once (a request was just accepted). */
    public void wake() {
        wakeup.release();
    }

    private void loop() {
        while (running) {
            try {
                tick();
            } catch (LeaseLostException e) {
                log.warn("{}; the new holder carries on", e.getMessage());
            } catch (RuntimeException e) {
                if (running) {
                    log.warn("Executor round failed: {}", e.toString());
                }
            }
            try {
                wakeup.tryAcquire(properties.execution().loopInterval().toMillis(), TimeUnit.MILLISECONDS);
                wakeup.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void tick() {
        boolean leading = lease.ensureHeld();
        List<StoredCluster> clusters = topology.all();
        List<Operation> unfinished = new ArrayList<>(operations.unfinished());
        Set<String> busy = new HashSet<>();
        unfinished.forEach(op -> busy.add(op.cluster()));
        Instant now = clock.instant();
        for (StoredCluster stored : clusters) {
            Cluster cluster = stored.cluster();
            Map<RegionId, List<ObserverView>> views = new HashMap<>();
            for (ClusterMember member : cluster.members()) {
                views.put(member.region(), observers.views(member.region()));
            }
            Decision decision = decider.decide(cluster, views, self, busy.contains(cluster.name()), now);
            decisions.record(decision, leading);
            if (leading && decision.act() && properties.autoFailover()) {
                startFailover(stored, decision).ifPresent(op -> {
                    unfinished.add(op);
                    busy.add(op.cluster());
                });
            }
        }
        if (leading) {
            for (Operation op : unfinished) {
                if (!running) {
                    return;
                }
                drive(op);
            }
        }
    }

    private Optional<Operation> startFailover(StoredCluster stored, Decision decision) {
        Cluster cluster = stored.cluster();
        ClusterMember old = cluster.primary().orElseThrow();
        Instant detectedAt = decision.at();
        Instant faultAt;
        String source;
        Optional<Drill> drill = drills.latestFault(old.region(), detectedAt.minus(Duration.ofMinutes(2)));
        if (drill.isPresent()) {
            faultAt = drill.get().injectedAt();
            source = "drill " + drill.get().id() + " (" + drill.get().action() + ")";
        } else if (decision.faultAt() != null) {
            faultAt = decision.faultAt();
            source = "first unhealthy observation by a counted observer";
        } else {
            faultAt = detectedAt;
            source = "the decision (no earlier sign)";
        }
        Lsn oldLsn = probes.primaryMark(cluster.name(), old.region()).map(ProbeBook.PrimaryMark::position).orElse(null);
        Operation op = Operation.create(UUID.randomUUID().toString(), OperationKind.FAILOVER, cluster.name(), old.region(), null,
                String.join("; ", decision.reasons()), "system", decision,
                new Operation.Times(clock.instant(), faultAt, source, detectedAt, null, null, null, null),
                new Operation.Measured(null, null, null, null, null, oldLsn, null, null, null));
        if (!operations.insertByExecutor(op, self, lease.token())) {
            return Optional.empty();
        }
        log.warn("Failover {} of cluster {}: primary {} failed ({})", op.id(), cluster.name(), old.region(), op.reason());
        audit.record("failover.start", "cluster/" + cluster.name(), op.reason(), AuditRecord.Outcome.SUCCEEDED,
                "failover " + op.id() + " of " + old.region() + " decided by quorum", null, Map.of("operation", op.id(), "primary", old.region()));
        meters.counter("meridian.failover.operations", "kind", "failover", "outcome", "started").increment();
        return Optional.of(op);
    }

    /** Carries {@code op} to its end, or until this instance loses the lease. */
    private void drive(Operation start) {
        Operation op = start;
        try (MDC.MDCCloseable o = MDC.putCloseable("operation", op.id()); MDC.MDCCloseable r = MDC.putCloseable("region", op.from().value())) {
            while (!op.state().terminal() && running) {
                for (StepListener listener : listeners) {
                    listener.beforeStep(op, self);
                }
                lease.check();
                Instant started = clock.instant();
                StepResult result;
                try {
                    result = execute(op);
                } catch (LeaseLostException e) {
                    throw e;
                } catch (RuntimeException e) {
                    log.warn("Step {} of {} failed", op.state(), op.id(), e);
                    result = onFailure(op, "StepFailed", op.state() + " failed: " + e.getMessage());
                }
                Operation next = persist(op, result, started);
                log.info("{} {}: {} -> {}: {}", op.kind(), op.id(), op.state(), next.state(), result.detail());
                op = next;
                if (op.state().terminal()) {
                    finish(op);
                }
            }
        }
    }

    private record StepResult(OperationState next, Operation.Builder changes, String detail, boolean ok, @Nullable String code,
            Map<RegionId, MemberRole> roles) {
    }

    private StepResult execute(Operation op) {
        Cluster cluster = topology.get(op.cluster()).cluster();
        return switch (op.state()) {
            case DETECTED -> detected(op, cluster);
            case FENCING -> op.kind() == OperationKind.SWITCHOVER ? pauseWrites(op, cluster) : fence(op, cluster);
            case LAG_GATE -> op.kind() == OperationKind.SWITCHOVER ? catchUp(op, cluster) : lagGate(op, cluster);
            case PROMOTING -> promote(op, cluster);
            case REROUTING -> reroute(op, cluster);
            case VERIFYING -> verify(op, cluster);
            case REJOINING -> op.kind() == OperationKind.SWITCHOVER ? demoteOldPrimary(op, cluster) : rejoin(op, cluster);
            case COMPLETED, HALTED, ROLLED_BACK -> throw new IllegalStateException(op.id() + " has ended");
        };
    }

    // ---- DETECTED ---------------------------------------------------------------------------------------------

    private StepResult detected(Operation op, Cluster cluster) {
        switch (op.kind()) {
            case FAILOVER -> {
                boolean acked = events.publish(op, FailoverEvent.Step.DETECTED, op.from(), null, op.reason());
                return next(op, OperationState.FENCING, "failure of " + op.from() + " decided by quorum" + ack(acked));
            }
            case SWITCHOVER -> {
                Optional<ClusterMember> primary = cluster.primary();
                ClusterMember target = op.to() == null ? null : cluster.member(op.to()).orElse(null);
                if (primary.isEmpty() || !primary.get().region().equals(op.from()) || target == null || target.role() != MemberRole.STANDBY) {
                    return rollBack(op, op.toBuilder(), "TopologyChanged", "the cluster changed since the switchover was requested ("
                            + op.from() + " is no longer the primary, or " + op.to() + " no longer a standby); nothing was changed", Map.of());
                }
                boolean acked = events.publish(op, FailoverEvent.Step.DETECTED, op.from(), null, op.reason());
                return next(op, OperationState.FENCING, "switchover from " + op.from() + " to " + op.to() + " accepted" + ack(acked));
            }
            case REJOIN -> {
                return next(op, OperationState.REJOINING, "rejoin of " + op.from() + " accepted");
            }
        }
        throw new IllegalStateException(op.kind().name());
    }

    // ---- FENCING ----------------------------------------------------------------------------------------------

    private StepResult fence(Operation op, Cluster cluster) {
        ClusterMember old = member(cluster, op.from());
        List<String> done = new ArrayList<>();
        boolean answered = probes.latest(cluster.name(), old.region()).map(r -> r.health() != ObserverBook.Health.DOWN).orElse(false);
        boolean sqlFenced = false;
        if (answered) {
            try {
                lease.verify();
                databases.fenceReadOnly(old, properties.probe().timeout().multipliedBy(2));
                sqlFenced = true;
                done.add("SQL: read-only and its sessions terminated");
            } catch (DatabaseException e) {
                done.add("SQL fence failed (" + e.getMessage() + ")");
            }
        }
        if (hosts.manages(old)) {
            lease.verify();
            try {
                done.add(hosts.name() + " host: " + blocking(() -> hosts.fence(old), properties.execution().fenceTimeout()));
            } catch (HostActionException e) {
                return halt(op, op.toBuilder(), "FenceFailed", "could not fence " + old.region() + ": " + e.getMessage() + " ("
                        + String.join("; ", done) + "); promoting another member could leave two primaries");
            }
        } else if (!sqlFenced) {
            return halt(op, op.toBuilder(), "FenceFailed", old.region() + " does not answer over SQL and no host adapter manages its host ("
                    + String.join("; ", done) + "): it cannot be made sure that it accepts no writes, so nothing is promoted");
        }
        String verified;
        try {
            verified = verifyFenced(old);
        } catch (IllegalStateException e) {
            return halt(op, op.toBuilder(), "FenceFailed", "fencing " + old.region() + " did not hold: " + e.getMessage() + " ("
                    + String.join("; ", done) + ")");
        }
        Operation.Builder changes = op.toBuilder().fencedAt(clock.instant());
        boolean acked = events.publish(op, FailoverEvent.Step.FENCED, op.from(), null, "fenced: " + verified);
        return new StepResult(OperationState.LAG_GATE, changes, String.join("; ", done) + "; now it " + verified + "; out of routing" + ack(acked),
                true, null, Map.of(old.region(), MemberRole.FENCED));
    }

    private String verifyFenced(ClusterMember old) {
        try {
            ManagedDatabases.State state = databases.state(old, properties.probe().timeout());
            if (state.inRecovery()) {
                return "answers in recovery (read-only)";
            }
            if (state.readOnlyDefault()) {
                return "answers read-only only";
            }
            throw new IllegalStateException("it still answers as a writable primary");
        } catch (DatabaseException e) {
            if (e.kind() == DatabaseException.Kind.UNREACHABLE) {
                return "refuses connections";
            }
            if (hosts.manages(old) && !hosts.isRunning(old)) {
                return "has no process running";
            }
            throw new IllegalStateException("cannot confirm: " + e.getMessage());
        }
    }

    private StepResult pauseWrites(Operation op, Cluster cluster) {
        ClusterMember old = member(cluster, op.from());
        ClusterMember target = member(cluster, java.util.Objects.requireNonNull(op.to()));
        if (old.role() == MemberRole.PRIMARY && target.role() != MemberRole.STANDBY) {
            return rollBack(op, op.toBuilder(), "TopologyChanged", target.region() + " is no longer a standby; nothing was changed", Map.of());
        }
        try {
            databases.prepareToFollow(old, target, properties.execution().fenceTimeout());
            // while writes still flow: the shutdown checkpoint inside the pause then has little left to write
            databases.checkpoint(old, properties.execution().fenceTimeout());
            lease.verify();
            Lsn lsn = databases.fenceReadOnly(old, properties.execution().fenceTimeout());
            Operation.Builder changes = op.toBuilder().fencedAt(clock.instant()).fenceLsn(lsn);
            boolean acked = events.publish(op, FailoverEvent.Step.FENCED, op.from(), null, "writes paused for the switchover to " + op.to());
            return new StepResult(OperationState.LAG_GATE, changes, "writes paused on " + old.region() + ": read-only, sessions terminated, at "
                    + lsn + ack(acked), true, null, Map.of(old.region(), MemberRole.FENCED));
        } catch (DatabaseException e) {
            return rollbackSwitchover(op, cluster, "FenceFailed", "could not pause writes on " + old.region() + ": " + e.getMessage());
        }
    }

    // ---- LAG_GATE ---------------------------------------------------------------------------------------------

    private StepResult lagGate(Operation op, Cluster cluster) {
        List<Candidate> measured = new ArrayList<>();
        for (ClusterMember standby : cluster.standbys()) {
            try {
                ManagedDatabases.State state = databases.state(standby, properties.probe().timeout().multipliedBy(2));
                if (!state.inRecovery()) {
                    measured.add(new Candidate(standby.region(), false, null, null, null, false, "is not in recovery"));
                } else {
                    measured.add(new Candidate(standby.region(), true, state.receiveLsn(), state.replayLsn(), null, false,
                            "received " + state.receiveLsn() + ", replayed " + state.replayLsn()));
                }
            } catch (DatabaseException e) {
                measured.add(new Candidate(standby.region(), false, null, null, null, false, "unreachable: " + e.getMessage()));
            }
        }
        Lsn reference = op.measured().oldPrimaryLsn();
        if (reference == null) {
            reference = probes.primaryMark(cluster.name(), op.from()).map(ProbeBook.PrimaryMark::position).orElse(null);
        }
        String basis;
        if (reference != null) {
            basis = "the old primary's furthest WAL position seen by the probes of " + self + " (" + reference + ")";
        } else {
            reference = measured.stream().map(Candidate::position).filter(java.util.Objects::nonNull).max(Lsn::compareTo).orElse(Lsn.ZERO);
            basis = "the most advanced standby: the old primary's position is unknown to " + self + ", so the loss is not measurable";
        }
        long bound = cluster.lagBound(properties.execution().maxLagBytes());
        LagGate.Choice choice = LagGate.choose(measured, reference, bound);
        Operation.Builder changes = op.toBuilder();
        changes.candidates = choice.candidates();
        Candidate chosen = choice.chosen();
        if (chosen == null) {
            boolean anyEligible = choice.candidates().stream().anyMatch(Candidate::eligible);
            return halt(op, changes, anyEligible ? "ReplicationLagExceeded" : "NoStandbyAvailable", choice.reason());
        }
        changes.to = chosen.region();
        changes.rpo(reference, chosen.position(), java.util.Objects.requireNonNull(chosen.lagBytes()), basis);
        return new StepResult(OperationState.PROMOTING, changes, choice.reason(), true, null, Map.of());
    }

    private StepResult catchUp(Operation op, Cluster cluster) {
        ClusterMember old = member(cluster, op.from());
        ClusterMember target = member(cluster, java.util.Objects.requireNonNull(op.to()));
        Lsn fence = java.util.Objects.requireNonNull(op.measured().fenceLsn());
        long deadline = System.nanoTime() + properties.execution().catchUpTimeout().toNanos();
        ManagedDatabases.State state = null;
        String last = "no answer";
        while (true) {
            try {
                state = databases.state(target, properties.probe().timeout());
                Lsn replayed = state.replayLsn();
                last = "replayed " + replayed;
                if (replayed != null && replayed.compareTo(fence) >= 0) {
                    break;
                }
            } catch (DatabaseException e) {
                last = e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                return rollbackSwitchover(op, cluster, "CatchUpTimedOut", target.region() + " did not reach lag 0 (the old primary's "
                        + fence + ") within " + properties.execution().catchUpTimeout().toMillis() + " ms: " + last);
            }
            lease.check();
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
        String stopped;
        if (hosts.manages(old)) {
            lease.verify();
            try {
                blocking(() -> {
                    hosts.stop(old);
                    return null;
                }, properties.execution().fenceTimeout());
                stopped = old.region() + " stopped cleanly (its shutdown checkpoint streamed to " + target.region() + ")";
            } catch (HostActionException e) {
                return rollbackSwitchover(op, cluster, "StopFailed", "could not stop " + old.region() + " cleanly: " + e.getMessage());
            }
        } else {
            stopped = old.region() + " stays up read-only (no host adapter manages it): it needs a rejoin afterwards";
        }
        Operation.Builder changes = op.toBuilder();
        changes.candidates = List.of(new Candidate(target.region(), true, state.receiveLsn(), state.replayLsn(), 0L, true,
                "replayed the old primary's WAL up to its fence position " + fence));
        changes.rpo(fence, state.replayLsn(), 0, "switchover: the standby replayed everything the old primary wrote before writes paused");
        return next(changes, OperationState.PROMOTING, target.region() + " caught up to lag 0 at " + state.replayLsn() + "; " + stopped);
    }

    // ---- PROMOTING, REROUTING, VERIFYING ----------------------------------------------------------------------

    private StepResult promote(Operation op, Cluster cluster) {
        ClusterMember target = member(cluster, java.util.Objects.requireNonNull(op.to()));
        lease.verify();
        String failure = null;
        try {
            if (!databases.promote(target, properties.execution().promoteTimeout())) {
                failure = "pg_promote() on " + target.region() + " did not finish within " + properties.execution().promoteTimeout().toSeconds() + " s";
            }
        } catch (DatabaseException e) {
            failure = "pg_promote() on " + target.region() + " failed: " + e.getMessage();
        }
        if (failure != null) {
            if (op.kind() == OperationKind.SWITCHOVER && stillStandby(target)) {
                return rollbackSwitchover(op, cluster, "PromotionFailed", failure);
            }
            return halt(op, op.toBuilder(), "PromotionFailed", failure);
        }
        boolean clear = "clear".equals(properties.execution().synchronousAlone());
        try {
            databases.makeWritable(target, clear, properties.execution().fenceTimeout());
        } catch (DatabaseException e) {
            return halt(op, op.toBuilder(), "PromotionFailed", target.region() + " was promoted but does not take writes: " + e.getMessage());
        }
        Operation.Builder changes = op.toBuilder().promotedAt(clock.instant());
        return new StepResult(OperationState.REROUTING, changes, "pg_promote() on " + target.region() + " returned: it takes writes",
                true, null, Map.of(target.region(), MemberRole.PRIMARY));
    }

    private boolean stillStandby(ClusterMember target) {
        try {
            return databases.inRecovery(target, properties.probe().timeout());
        } catch (DatabaseException e) {
            return false;
        }
    }

    private StepResult reroute(Operation op, Cluster cluster) {
        RegionId promoted = java.util.Objects.requireNonNull(op.to());
        boolean acked = events.publish(op, FailoverEvent.Step.PROMOTED, op.from(), promoted, "promoted " + promoted + " in place of " + op.from());
        List<String> notes = new ArrayList<>();
        notes.add("PROMOTED published" + ack(acked));
        // the other standbys still stream from the old primary: point them at the new one
        ClusterMember primary = member(cluster, promoted);
        for (ClusterMember standby : cluster.standbys()) {
            try {
                databases.ensureSlot(primary, standby.slotName(), properties.execution().fenceTimeout());
                databases.prepareToFollow(standby, primary, properties.execution().fenceTimeout());
                notes.add(standby.region() + " now follows " + promoted);
            } catch (DatabaseException e) {
                notes.add(standby.region() + " could not be pointed at " + promoted + " (" + e.getMessage() + "): rejoin it");
            }
        }
        return next(op, OperationState.VERIFYING, String.join("; ", notes));
    }

    private StepResult verify(Operation op, Cluster cluster) {
        ClusterMember target = member(cluster, java.util.Objects.requireNonNull(op.to()));
        long deadline = System.nanoTime() + properties.execution().verifyTimeout().toNanos();
        DatabaseException last = null;
        while (true) {
            try {
                databases.write(target, VERIFY_WRITER, op.version(), properties.probe().timeout().multipliedBy(2));
                break;
            } catch (DatabaseException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                return halt(op, op.toBuilder(), "VerifyFailed", "no write on the new primary " + target.region() + " succeeded within "
                        + properties.execution().verifyTimeout().toMillis() + " ms: " + last.getMessage());
            }
            lease.check();
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        Operation.Builder changes = op.toBuilder().firstWriteAt(clock.instant());
        Operation.Measured m = changes.measured;
        if (op.kind() == OperationKind.SWITCHOVER) {
            return next(changes, OperationState.REJOINING, "a write on " + target.region() + " succeeded; writes were paused for "
                    + m.writePauseMillis() + " ms");
        }
        String summary = "failed over from " + op.from() + " to " + target.region() + ": RTO " + m.rtoMillis() + " ms (detection "
                + m.detectionMillis() + " ms), RPO " + m.rpoBytes() + " bytes of WAL";
        boolean acked = events.publish(op, FailoverEvent.Step.COMPLETED, op.from(), target.region(), summary);
        return new StepResult(OperationState.COMPLETED, changes, summary + ack(acked), true, null, Map.of());
    }

    // ---- REJOINING --------------------------------------------------------------------------------------------

    private StepResult demoteOldPrimary(Operation op, Cluster cluster) {
        ClusterMember old = member(cluster, op.from());
        ClusterMember primary = member(cluster, java.util.Objects.requireNonNull(op.to()));
        Long pause = op.measured().writePauseMillis();
        String switched = "switched over from " + old.region() + " to " + primary.region() + " with writes paused " + pause + " ms";
        if (!hosts.manages(old)) {
            events.publish(op, FailoverEvent.Step.COMPLETED, op.from(), primary.region(), switched);
            return next(op, OperationState.COMPLETED, switched + "; " + old.region() + " stays fenced (no host adapter manages it): rejoin it");
        }
        try {
            databases.ensureSlot(primary, old.slotName(), properties.execution().fenceTimeout());
            lease.verify();
            blocking(() -> {
                hosts.startAsStandby(old);
                return null;
            }, properties.execution().rejoinTimeout());
            awaitStreaming(primary, old, properties.execution().rejoinTimeout());
            int dropped = databases.dropInactiveSlots(old, properties.execution().fenceTimeout());
            String sync = restoreSynchronous(cluster, primary);
            events.publish(op, FailoverEvent.Step.COMPLETED, op.from(), primary.region(), switched);
            boolean acked = events.publish(op, FailoverEvent.Step.REJOINED, op.from(), primary.region(), old.region() + " follows "
                    + primary.region());
            probes.resetMark(cluster.name(), old.region());
            return new StepResult(OperationState.COMPLETED, op.toBuilder(), switched + "; " + old.region() + " streams from "
                    + primary.region() + " as a standby (" + dropped + " stale slot(s) dropped" + sync + ")" + ack(acked), true, null,
                    Map.of(old.region(), MemberRole.STANDBY));
        } catch (LeaseLostException e) {
            throw e;
        } catch (RuntimeException e) {
            events.publish(op, FailoverEvent.Step.COMPLETED, op.from(), primary.region(), switched);
            return next(op, OperationState.COMPLETED, switched + "; but " + old.region() + " did not rejoin as a standby (" + e.getMessage()
                    + "): it stays fenced; POST /api/v1/failover/rejoin");
        }
    }

    private StepResult rejoin(Operation op, Cluster cluster) {
        ClusterMember member = member(cluster, op.from());
        Optional<ClusterMember> primary = cluster.primary();
        if (primary.isEmpty()) {
            return halt(op, op.toBuilder(), "NoPrimary", "cluster " + cluster.name() + " has no primary to rejoin");
        }
        if (member.role() == MemberRole.PRIMARY) {
            return halt(op, op.toBuilder(), "IsPrimary", member.region() + " is the primary");
        }
        if (!hosts.manages(member)) {
            return halt(op, op.toBuilder(), "NoHostAdapter", "no host adapter manages " + member.region() + ": re-seed it by hand");
        }
        Operation.Builder changes = op.toBuilder();
        String measured = measureFencedTail(cluster, member, changes);
        try {
            lease.verify();
            blocking(() -> {
                hosts.reseed(member, primary.get());
                return null;
            }, properties.execution().rejoinTimeout());
            awaitStreaming(primary.get(), member, properties.execution().rejoinTimeout());
        } catch (LeaseLostException e) {
            throw e;
        } catch (RuntimeException e) {
            return halt(op, op.toBuilder(), "RejoinFailed", member.region() + " could not rejoin: " + e.getMessage());
        }
        String sync = restoreSynchronous(cluster, primary.get());
        boolean acked = events.publish(op, FailoverEvent.Step.REJOINED, member.region(), primary.get().region(),
                member.region() + " re-seeded from " + primary.get().region());
        probes.resetMark(cluster.name(), member.region());
        return new StepResult(OperationState.COMPLETED, changes, member.region() + " re-seeded by a fresh base backup of "
                + primary.get().region() + " and streams from it" + sync + measured + ack(acked), true, null,
                Map.of(member.region(), MemberRole.STANDBY));
    }

    /**
     * Before a fenced old primary is re-seeded, reads what it wrote after the position the promoted standby had (the
     * measured RPO of the failover that fenced it); the probes' reference can only be a lower bound.
     */
    private String measureFencedTail(Cluster cluster, ClusterMember member, Operation.Builder changes) {
        if (member.role() != MemberRole.FENCED) {
            return "";
        }
        Optional<Operation> failover = operations.lastFailoverFrom(cluster.name(), member.region());
        if (failover.isEmpty() || failover.get().measured().promotedLsn() == null) {
            return "";
        }
        Lsn promoted = java.util.Objects.requireNonNull(failover.get().measured().promotedLsn());
        Optional<HostAdapter.WalTail> tail = hosts.walTail(member, promoted);
        if (tail.isEmpty()) {
            return "; its WAL could not be read, so the RPO of failover " + failover.get().id() + " stays an estimate";
        }
        long bytes = Math.max(0, tail.get().end().minus(promoted));
        changes.rpo(tail.get().end(), promoted, bytes, "measured before re-seeding: " + member.region() + "'s own end of WAL minus the "
                + "position the promoted standby had in failover " + failover.get().id());
        changes.lostCommits(tail.get().commits());
        return "; failover " + failover.get().id() + " lost " + bytes + " bytes of WAL and " + tail.get().commits()
                + " commit(s) (heartbeats included), read from " + member.region() + "'s WAL before re-seeding";
    }

    private String restoreSynchronous(Cluster cluster, ClusterMember primary) {
        if (!cluster.synchronous()) {
            return "";
        }
        try {
            databases.setSynchronousStandbys(primary, "*", properties.execution().fenceTimeout());
            return "; synchronous replication restored";
        } catch (DatabaseException e) {
            return "; synchronous replication NOT restored: " + e.getMessage();
        }
    }

    private void awaitStreaming(ClusterMember primary, ClusterMember standby, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "not connected";
        while (true) {
            try {
                ManagedDatabases.State state = databases.state(primary, properties.probe().timeout().multipliedBy(2));
                Optional<ManagedDatabases.Replica> replica = state.replicas().stream()
                        .filter(r -> standby.slotName().equals(r.slot())).findFirst();
                if (replica.isPresent() && "streaming".equals(replica.get().state())) {
                    return;
                }
                last = replica.map(r -> "state " + r.state()).orElse("not connected");
            } catch (DatabaseException e) {
                last = "primary: " + e.getMessage();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(standby.region() + " does not stream from " + primary.region() + " within "
                        + timeout.toSeconds() + " s (" + last + ")");
            }
            lease.check();
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    // ---- failures ---------------------------------------------------------------------------------------------

    private StepResult onFailure(Operation op, String code, String message) {
        if (op.kind() == OperationKind.SWITCHOVER) {
            switch (op.state()) {
                case DETECTED, FENCING, LAG_GATE -> {
                    return rollbackSwitchover(op, topology.get(op.cluster()).cluster(), code, message);
                }
                default -> {
                }
            }
        }
        return halt(op, op.toBuilder(), code, message);
    }

    private StepResult halt(Operation op, Operation.Builder changes, String code, String message) {
        events.publish(op, FailoverEvent.Step.HALTED, op.from(), changes.to, message);
        return new StepResult(OperationState.HALTED, changes, message, false, code, Map.of());
    }

    private StepResult rollBack(Operation op, Operation.Builder changes, String code, String message, Map<RegionId, MemberRole> roles) {
        events.publish(op, FailoverEvent.Step.ROLLED_BACK, op.from(), null, message);
        return new StepResult(OperationState.ROLLED_BACK, changes, message, false, code, roles);
    }

    /** Undoes a switchover that has not promoted: the old primary serves writes again. */
    private StepResult rollbackSwitchover(Operation op, Cluster cluster, String code, String message) {
        ClusterMember old = member(cluster, op.from());
        List<String> undone = new ArrayList<>();
        try {
            if (hosts.manages(old) && !hosts.isRunning(old)) {
                hosts.start(old);
                undone.add("restarted " + old.region());
            }
            databases.unfence(old, properties.execution().fenceTimeout());
            undone.add(old.region() + " takes writes again");
        } catch (RuntimeException e) {
            return halt(op, op.toBuilder(), code, message + "; undoing it failed too (" + e.getMessage() + "): " + old.region()
                    + " stays fenced, operators act");
        }
        return rollBack(op, op.toBuilder(), code, message + "; rolled back: " + String.join(", ", undone), Map.of(old.region(), MemberRole.PRIMARY));
    }

    // ---- persistence ------------------------------------------------------------------------------------------

    private Operation persist(Operation op, StepResult result, Instant started) {
        Instant ended = clock.instant();
        Operation.Builder changes = result.changes();
        changes.steps.add(new Step(op.state(), started, ended, Duration.between(started, ended).toMillis(), self, lease.token(), result.ok(),
                result.detail()));
        changes.state = result.next();
        if (result.next().terminal()) {
            changes.finishedAt(ended);
            changes.outcome = result.detail();
        }
        changes.condition = switch (result.next()) {
            case COMPLETED -> new Operation.Condition("Succeeded", "True", "Completed", result.detail(), ended);
            case HALTED, ROLLED_BACK -> new Operation.Condition("Succeeded", "False", result.code() == null ? "Failed" : result.code(),
                    result.detail(), ended);
            default -> new Operation.Condition("Succeeded", "Unknown", camel(result.next()), result.detail(), ended);
        };
        Operation next = changes.build(op.version() + 1);
        Boolean saved = tx.execute(status -> {
            if (!result.roles().isEmpty()) {
                topology.applyRoles(op.cluster(), result.roles());
            }
            if (!operations.update(next, op.version(), self, lease.token(), ended)) {
                status.setRollbackOnly();
                return false;
            }
            return true;
        });
        if (!Boolean.TRUE.equals(saved)) {
            throw new LeaseLostException(self + " could not record step " + op.state() + " of " + op.id()
                    + " with token " + lease.token() + ": the executor lease or the operation moved on");
        }
        return next;
    }

    private void finish(Operation op) {
        boolean ok = op.state() == OperationState.COMPLETED;
        String kind = op.kind().name().toLowerCase(Locale.ROOT);
        audit.record(kind + ".finish", "cluster/" + op.cluster(), op.reason(), ok ? AuditRecord.Outcome.SUCCEEDED : AuditRecord.Outcome.FAILED,
                op.state() + ": " + op.outcome(), null, Map.of("operation", op.id(), "state", op.state(), "measured", op.measured()));
        meters.counter("meridian.failover.operations", "kind", kind, "outcome", op.state().name().toLowerCase(Locale.ROOT)).increment();
        Long rto = op.measured().rtoMillis();
        if (rto != null) {
            meters.timer("meridian.failover.rto", "kind", kind).record(Duration.ofMillis(rto));
        }
        if (ok) {
            log.info("{} {} completed: {}", op.kind(), op.id(), op.outcome());
        } else {
            log.warn("{} {} ended {}: {}", op.kind(), op.id(), op.state(), op.outcome());
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static StepResult next(Operation op, OperationState state, String detail) {
        return new StepResult(state, op.toBuilder(), detail, true, null, Map.of());
    }

    private static StepResult next(Operation.Builder changes, OperationState state, String detail) {
        return new StepResult(state, changes, detail, true, null, Map.of());
    }

    private static ClusterMember member(Cluster cluster, RegionId region) {
        return cluster.member(region).orElseThrow(() -> new IllegalStateException(region + " is no longer a member of " + cluster.name()));
    }

    private static String ack(boolean acked) {
        return acked ? "" : " (event not acknowledged by Kafka in time)";
    }

    private static String camel(OperationState state) {
        String lower = state.name().toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder();
        boolean up = true;
        for (char c : lower.toCharArray()) {
            if (c == '_') {
                up = true;
            } else {
                out.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return out.toString();
    }

    /**
     * Runs a long host action on its own thread while this thread keeps the lease renewed, so that a base backup
     * longer than the lease does not cost it; if the lease is lost meanwhile, this stops waiting (the action itself
     * cannot be interrupted safely and finishes on its own).
     */
    private <T> T blocking(Callable<T> action, Duration timeout) {
        java.util.concurrent.FutureTask<T> future = new java.util.concurrent.FutureTask<>(action);
        Thread.ofVirtual().name("failover-host-action").start(future);
        long deadline = System.nanoTime() + timeout.toNanos();
        long slice = Math.max(10, properties.execution().leaseDuration().toMillis() / 4);
        while (true) {
            try {
                return future.get(slice, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    future.cancel(true);
                    throw new HostActionException("no result within " + timeout.toSeconds() + " s");
                }
                lease.check();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException runtime) {
                    throw runtime;
                }
                throw new HostActionException(String.valueOf(e.getCause()), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                future.cancel(true);
                throw new HostActionException("interrupted");
            }
        }
    }
}
