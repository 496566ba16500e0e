package io.meridian.failover.execution;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.support.tx.AfterCommit;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.region.RegionId;
import io.meridian.failover.host.HostAdapter;
import io.meridian.failover.probe.ProbeBook;
import io.meridian.failover.probe.ProbeResult;
import io.meridian.failover.quorum.ObserverBook;
import io.meridian.failover.topology.Cluster;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.failover.topology.MemberRole;
import io.meridian.failover.topology.StoredCluster;
import io.meridian.failover.topology.Topology;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Accepts operators' requests for switchovers and rejoins after checking them against the current topology,
 * persists them as operations at {@link OperationState#DETECTED} (at most one per cluster at a time) and wakes
 * the executor; and serves the history.
 */
@Service
public class OperationRequests {

    /** Problem: the switchover target is not a standby of the cluster. */
    public static final URI NOT_A_STANDBY = ProblemTypes.of("not-a-standby");
    /** Problem: an operation already runs on the cluster. */
    public static final URI FAILOVER_IN_PROGRESS = ProblemTypes.of("failover-in-progress");
    /** Problem: the target standby is not healthy enough to take over. */
    public static final URI STANDBY_UNAVAILABLE = ProblemTypes.of("standby-unavailable");
    /** Problem: the member to rejoin is the primary. */
    public static final URI IS_PRIMARY = ProblemTypes.of("is-primary");
    /** Problem: no host adapter can act on the member. */
    public static final URI NO_HOST_ADAPTER = ProblemTypes.of("host-adapter-unavailable");
    /** Problem: the cluster has no primary. */
    public static final URI NO_PRIMARY = ProblemTypes.of("no-primary");

    private final OperationRepository operations;
    private final Topology topology;
    private final ProbeBook probes;
    private final HostAdapter hosts;
    private final AuditLog audit;
    private final FailoverExecutor executor;
    private final Clock clock = Clock.systemUTC();

    OperationRequests(OperationRepository operations, Topology topology, ProbeBook probes, HostAdapter hosts, AuditLog audit,
            FailoverExecutor executor) {
        this.operations = operations;
        this.topology = topology;
        this.probes = probes;
        this.hosts = hosts;
        this.audit = audit;
        this.executor = executor;
    }

    /**
     * Requests a planned switchover to {@code target}: it must be a healthy standby of the cluster, in the primary's
     * residency zone, and no operation may run on the cluster.
     */
    @Transactional
    public Operation switchover(@Nullable RegionId target, @Nullable String clusterName, @Nullable String reason) {
        if (target == null) {
            throw new InvalidFieldException("target", "must name the standby region to switch over to");
        }
        String why = requireReason(reason);
        StoredCluster stored = topology.ofRegion(target, clusterName, "target");
        Cluster cluster = stored.cluster();
        requireIdle(cluster.name());
        ClusterMember primary = cluster.primary().orElseThrow(() -> new MeridianException(NO_PRIMARY, 409, "No primary",
                "cluster " + cluster.name() + " has no primary to switch over from"));
        ClusterMember standby = cluster.member(target).orElseThrow();
        if (standby.role() != MemberRole.STANDBY) {
            throw new MeridianException(NOT_A_STANDBY, 409, "Not a standby", target + " is " + (standby.role() == MemberRole.PRIMARY
                    ? "already the primary" : "fenced (it must rejoin first)") + " of cluster " + cluster.name()
                    + "; a switchover goes to one of its standbys: " + cluster.standbys().stream().map(m -> m.region().value()).toList())
                    .with("role", standby.role().name()).with("cluster", cluster.name());
        }
        if (standby.zone() != primary.zone()) {
            throw new MeridianException(ProblemTypes.RESIDENCY_VIOLATION, 409, "Residency violation", target + " is in residency zone "
                    + standby.zone() + " but the primary " + primary.region() + " is in " + primary.zone()
                    + "; a switchover never moves the primary out of its zone")
                    .with("targetZone", standby.zone().name()).with("primaryZone", primary.zone().name());
        }
        Optional<ProbeResult> probe = probes.latest(cluster.name(), target);
        if (probe.isPresent() && probe.get().health() != ObserverBook.Health.UP) {
            throw new MeridianException(STANDBY_UNAVAILABLE, 409, "Standby unavailable", target + " is not healthy: " + probe.get().detail())
                    .with("cluster", cluster.name());
        }
        Operation op = Operation.create(UUID.randomUUID().toString(), OperationKind.SWITCHOVER, cluster.name(), primary.region(), target,
                why, actor(), null, new Operation.Times(clock.instant(), null, null, null, null, null, null, null), Operation.Measured.NONE);
        insert(op);
        audit.record("switchover.request", "cluster/" + cluster.name(), why, AuditRecord.Outcome.SUCCEEDED,
                "switchover " + op.id() + " from " + primary.region() + " to " + target, Map.of("primary", primary.region()),
                Map.of("operation", op.id(), "target", target));
        return op;
    }

    /** Requests that a fenced member be re-seeded as a standby of the current primary. */
    @Transactional
    public Operation rejoin(@Nullable RegionId region, @Nullable String clusterName, @Nullable String reason) {
        if (region == null) {
            throw new InvalidFieldException("region", "must name the region whose database rejoins");
        }
        String why = requireReason(reason);
        StoredCluster stored = topology.ofRegion(region, clusterName, "region");
        Cluster cluster = stored.cluster();
        requireIdle(cluster.name());
        ClusterMember member = cluster.member(region).orElseThrow();
        if (member.role() == MemberRole.PRIMARY) {
            throw new MeridianException(IS_PRIMARY, 409, "Is the primary", region + " is the primary of cluster " + cluster.name()
                    + "; only a fenced member or a standby rejoins").with("cluster", cluster.name());
        }
        ClusterMember primary = cluster.primary().orElseThrow(() -> new MeridianException(NO_PRIMARY, 409, "No primary",
                "cluster " + cluster.name() + " has no primary to rejoin; fail over or promote first"));
        if (!hosts.manages(member)) {
            throw new MeridianException(NO_HOST_ADAPTER, 409, "No host adapter", "the " + hosts.name() + " host adapter does not manage "
                    + region + "; re-seed it by hand").with("adapter", hosts.name());
        }
        Operation op = Operation.create(UUID.randomUUID().toString(), OperationKind.REJOIN, cluster.name(), region, primary.region(), why,
                actor(), null, new Operation.Times(clock.instant(), null, null, null, null, null, null, null), Operation.Measured.NONE);
        insert(op);
        audit.record("rejoin.request", "cluster/" + cluster.name(), why, AuditRecord.Outcome.SUCCEEDED,
                "rejoin " + op.id() + " of " + region + " as a standby of " + primary.region(), Map.of("role", member.role()),
                Map.of("operation", op.id()));
        return op;
    }

    /** The operation with {@code id}; 404 if unknown. */
    public Operation get(String id) {
        return operations.find(id).orElseThrow(() -> MeridianException.notFound("operation", id));
    }

    /** The newest operations first. */
    public List<Operation> history(@Nullable String cluster, @Nullable OperationKind kind, int limit) {
        return operations.recent(cluster, kind, limit);
    }

    /** The unfinished operation on {@code cluster}, if any. */
    public Optional<Operation> running(String cluster) {
        return operations.running(cluster);
    }

    private void requireIdle(String cluster) {
        operations.running(cluster).ifPresent(op -> {
            throw new MeridianException(FAILOVER_IN_PROGRESS, 409, "Operation in progress", "a " + op.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + " (" + op.id() + ") runs on cluster " + cluster + ", at " + op.state() + "; wait for it to end")
                    .with("operation", op.id()).with("state", op.state().name());
        });
    }

    private void insert(Operation op) {
        if (!operations.insertRequested(op)) {
            requireIdle(op.cluster());
            throw new MeridianException(FAILOVER_IN_PROGRESS, 409, "Operation in progress", "an operation runs on cluster " + op.cluster());
        }
        AfterCommit.run(executor::wake);
    }

    private static String requireReason(@Nullable String reason) {
        String why = reason == null ? AuditLog.currentReason() : reason;
        if (why == null || why.isBlank()) {
            throw new InvalidFieldException("reason", "give a reason (the reason field or the " + AuditLog.REASON_HEADER + " header)");
        }
        return why.strip();
    }

    static String actor() {
        Authentication caller = SecurityContextHolder.getContext().getAuthentication();
        return caller == null ? "system" : caller.getName();
    }
}
