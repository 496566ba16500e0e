package io.meridian.failover.execution;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.region.RegionId;
import io.meridian.failover.host.HostActionException;
import io.meridian.failover.host.HostAdapter;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.failover.topology.StoredCluster;
import io.meridian.failover.topology.Topology;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Drills: faults injected into a region's database or application through the host adapter (the local stack's), recorded with
 * the moment of injection so that the failover they cause measures detection and RTO from the fault itself.
 */
@Service
public class Drills {

    /** Problem: the host adapter could not inject the fault. */
    public static final URI DRILL_FAILED = ProblemTypes.of("drill-failed");

    private final Topology topology;
    private final HostAdapter hosts;
    private final DrillLog log;
    private final AuditLog audit;
    private final Clock clock = Clock.systemUTC();

    Drills(Topology topology, HostAdapter hosts, DrillLog log, AuditLog audit) {
        this.topology = topology;
        this.hosts = hosts;
        this.log = log;
        this.audit = audit;
    }

    /** Injects {@code action} into the database of {@code region}. */
    public Drill inject(@Nullable RegionId region, Drill.@Nullable Action action, @Nullable String cluster, @Nullable String reason) {
        return inject(region, action, null, cluster, reason);
    }

    /** Injects {@code action} into the database (default) or the application of {@code region}. */
    public Drill inject(@Nullable RegionId region, Drill.@Nullable Action action, Drill.@Nullable Target target, @Nullable String cluster,
            @Nullable String reason) {
        Drill.Target hit = target == null ? Drill.Target.DATABASE : target;
        if (region == null) {
            throw new InvalidFieldException("region", "must name the region whose database the drill hits");
        }
        if (action == null) {
            throw new InvalidFieldException("action", "must be KILL, FREEZE or THAW");
        }
        StoredCluster stored = topology.ofRegion(region, cluster, "region");
        ClusterMember member = stored.cluster().member(region).orElseThrow();
        if (!hosts.manages(member)) {
            throw new MeridianException(OperationRequests.NO_HOST_ADAPTER, 409, "No host adapter", "the " + hosts.name()
                    + " host adapter does not manage " + region + ": drills run on the local stack").with("adapter", hosts.name());
        }
        if (hit == Drill.Target.APP && member.appHealthUrl() == null) {
            throw new InvalidFieldException("target", "APP needs the member of " + region + " to name its appHealthUrl");
        }
        String why = reason != null ? reason : AuditLog.currentReason();
        Instant injectedAt = clock.instant();
        String detail;
        try {
            if (hit == Drill.Target.APP) {
                hosts.signalApp(member, switch (action) {
                    case KILL -> "KILL";
                    case FREEZE -> "STOP";
                    case THAW -> "CONT";
                });
                detail = action + " of the application of " + region + " (" + member.appHealthUrl() + ")";
            } else {
                switch (action) {
                    case KILL -> hosts.kill(member);
                    case FREEZE -> hosts.freeze(member);
                    case THAW -> hosts.thaw(member);
                }
                detail = action + " of the " + member.role() + " database of " + region + " in " + stored.cluster().name();
            }
        } catch (HostActionException e) {
            throw new MeridianException(DRILL_FAILED, 409, "Drill failed", e.getMessage());
        }
        Drill drill = new Drill(UUID.randomUUID().toString(), stored.cluster().name(), region, action, hit, injectedAt,
                OperationRequests.actor(), why, detail);
        log.insert(drill);
        audit.record("drill." + action.name().toLowerCase(java.util.Locale.ROOT), "region/" + region, why, AuditRecord.Outcome.SUCCEEDED,
                detail, null, drill);
        return drill;
    }
}
