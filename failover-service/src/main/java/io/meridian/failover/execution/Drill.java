package io.meridian.failover.execution;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * A fault injected on purpose into the local stack.
 *
 * @param id         the drill id
 * @param cluster    the cluster of the member hit
 * @param region     the region whose database was hit
 * @param action     what was done
 * @param injectedAt when, just before the signal was sent (a failover it causes measures its RTO from here)
 * @param actor      who ordered it
 * @param reason     why
 * @param detail     what the host adapter reported
 */
public record Drill(String id, String cluster, RegionId region, Action action, Instant injectedAt, String actor, @Nullable String reason,
        String detail) {

    /** What a drill does to a region's database. */
    public enum Action {
        /** SIGKILL the postmaster, as a crash would. */
        KILL,
        /** SIGSTOP the postmaster and its children: a gray failure (accepts connections, never answers). */
        FREEZE,
        /** SIGCONT a frozen database. */
        THAW
    }
}
