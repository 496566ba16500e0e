package io.meridian.failover.quorum;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * What the quorum decided about a cluster's primary at one moment, and why.
 *
 * @param cluster    the cluster
 * @param primary    its primary when decided (none after a halted failover)
 * @param code       the outcome, as a stable reason code
 * @param act        whether to fail over
 * @param reasons    why it acted or held, for people
 * @param failedBy   the observers that hold the primary failed (and count)
 * @param healthyBy  the fresh observers that still see it healthy
 * @param discounted the observers left out, and why (stale, or seeing every member down)
 * @param faultAt    when the failure began, as the earliest counted failing observer saw it
 * @param at         when decided
 */
public record Decision(String cluster, @Nullable RegionId primary, Code code, boolean act, List<String> reasons, List<String> failedBy,
        List<String> healthyBy, List<String> discounted, @Nullable Instant faultAt, Instant at) {

    /** Reason codes, stable for clients and alerts. */
    public enum Code {
        /** Every fresh observer sees the primary healthy. */
        HEALTHY,
        /** Some observer sees the primary unhealthy, not yet long enough to call it failed. */
        SUSPECT,
        /** Fewer observers than the quorum hold the primary failed. */
        AWAITING_QUORUM,
        /** Some observers hold the primary failed while a fresh one still sees it healthy: hold (a partition seen from one side). */
        OBSERVERS_DISAGREE,
        /** The quorum holds the primary failed but no standby is healthy enough to take over. */
        NO_HEALTHY_STANDBY,
        /** The cluster has no primary (a failover halted): operators act. */
        NO_PRIMARY,
        /** An operation runs on the cluster already. */
        OPERATION_RUNNING,
        /** The quorum holds the primary failed: fail over. */
        FAILOVER
    }
}
