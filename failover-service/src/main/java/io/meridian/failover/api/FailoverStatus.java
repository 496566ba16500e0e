package io.meridian.failover.api;

import java.util.List;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.failover.execution.ExecutorLease;
import io.meridian.failover.execution.Operation;
import io.meridian.failover.probe.ProbeResult;
import io.meridian.failover.quorum.Decision;
import io.meridian.failover.quorum.ObserverView;
import io.meridian.failover.topology.MemberRole;

/**
 * What {@code GET /api/v1/failover/status} shows: this instance, the executor lease, the thresholds, and per
 * cluster every member's newest probe, lag and observers' views, the newest decision with its reasons, and the
 * operation that runs.
 *
 * @param instance     this instance's observer name
 * @param executor     whether this instance holds the executor lease
 * @param lease        the lease as stored
 * @param autoFailover whether a quorum decision starts a failover by itself
 * @param thresholds   the thresholds in force
 * @param clusters     every watched cluster
 */
record FailoverStatus(String instance, boolean executor, ExecutorLease.@Nullable Info lease, boolean autoFailover, Thresholds thresholds,
        List<ClusterStatus> clusters) {

    /**
     * The thresholds in force.
     *
     * @param probeIntervalMillis  probe interval
     * @param probeTimeoutMillis   probe timeout
     * @param failureThreshold     consecutive failed probes that make a member failed
     * @param degradedAfterMillis  how long degraded makes a member failed
     * @param quorumObservers      observers that must agree
     * @param unanimous            whether one observer seeing the primary healthy holds the failover
     * @param observationMaxAgeMillis how old an observation may be to count
     * @param maxLagBytes          the default lag bound for promotion
     */
    record Thresholds(long probeIntervalMillis, long probeTimeoutMillis, int failureThreshold, long degradedAfterMillis, int quorumObservers,
            boolean unanimous, long observationMaxAgeMillis, long maxLagBytes) {
    }

    /**
     * One cluster.
     *
     * @param name        its name
     * @param primary     its primary
     * @param synchronous whether it replicates synchronously
     * @param maxLagBytes its lag bound
     * @param members     its members
     * @param decision    the newest decision about it, with reasons
     * @param running     the operation that runs on it
     * @param decisions   the newest changes of decision recorded by the executor
     */
    record ClusterStatus(String name, @Nullable RegionId primary, boolean synchronous, long maxLagBytes, List<MemberStatus> members,
            @Nullable Decision decision, @Nullable Operation running, List<Decision> decisions) {
    }

    /**
     * One member.
     *
     * @param region    its region
     * @param zone      its residency zone
     * @param role      its role
     * @param jdbcUrl   where it is reached
     * @param probe     this instance's newest probe of it
     * @param lagBytes  a standby's lag: the primary's newest WAL position minus what the standby has
     * @param lagMillis a standby's lag in time: the primary's newest heartbeat minus the newest one replayed
     * @param observers every observer's view of its region
     */
    record MemberStatus(RegionId region, ResidencyZone zone, MemberRole role, String jdbcUrl, @Nullable ProbeResult probe, @Nullable Long lagBytes,
            @Nullable Long lagMillis, List<ObserverView> observers) {
    }
}
