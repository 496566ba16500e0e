package io.meridian.failover.execution;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * A fault injected on purpose into the local stack.
 *
 * @param id         the drill id
 * @param cluster    the cluster of the member hit
 * @param region     the region hit
 * @param action     what was done
 * @param target     what was hit: the region's database (its failover measures from the drill) or its application
 * @param injectedAt when, just before the signal was sent (a failover it causes measures its RTO from here)
 * @param actor      who ordered it
 * @param reason     why
 * @param detail     what the host adapter reported
 */
public record Drill(String id, String cluster, RegionId region, Action action, @Nullable Target target, Instant injectedAt, String actor,
        @Nullable String reason, String detail) {

    public Drill {
        target = target == null ? Target.DATABASE : target; // drills recorded before targets existed hit the database
    }

    /** What a drill hits. */
    public enum Target {
        /** The region's database (the postmaster and its children). */
        DATABASE,
        /** The region's application: the process listening where the member's {@code appHealthUrl} points. */
        APP
    }

    /** What a drill does to its target. */
    public enum Action {
        /** SIGKILL (the postmaster, or the application), as a crash would. */
        KILL,
        /** SIGSTOP: a gray failure (accepts connections, never answers). */
        FREEZE,
        /** SIGCONT a frozen target. */
        THAW
    }
}
