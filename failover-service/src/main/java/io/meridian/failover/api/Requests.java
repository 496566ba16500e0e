package io.meridian.failover.api;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.failover.execution.Drill;

/** Request bodies of the failover API. */
final class Requests {

    private Requests() {
    }

    /**
     * A planned switchover.
     *
     * @param target  the standby region to promote
     * @param cluster the cluster, if the region is a member of several
     * @param reason  why (or the {@code X-Meridian-Reason} header)
     */
    record Switchover(@Nullable RegionId target, @Nullable String cluster, @Nullable String reason) {
    }

    /**
     * A rejoin.
     *
     * @param region  the region whose database is re-seeded as a standby of the current primary
     * @param cluster the cluster, if the region is a member of several
     * @param reason  why (or the {@code X-Meridian-Reason} header)
     */
    record Rejoin(@Nullable RegionId region, @Nullable String cluster, @Nullable String reason) {
    }

    /**
     * A drill.
     *
     * @param region  the region whose database is hit
     * @param action  KILL, FREEZE or THAW
     * @param cluster the cluster, if the region is a member of several
     * @param reason  why (or the {@code X-Meridian-Reason} header)
     */
    record DrillRequest(@Nullable RegionId region, Drill.@Nullable Action action, Drill.@Nullable Target target, @Nullable String cluster,
            @Nullable String reason) {
    }
}
