package io.meridian.common.region;

import org.jspecify.annotations.Nullable;

/**
 * Data of every event on {@code meridian.region-events}: the whole region after the change, so that
 * a consumer rebuilds the registry from the newest event per key alone.
 *
 * @param region         the region after the change (for a removal, as it was when removed)
 * @param version        the registry version after the change (also the event's {@code entityversion})
 * @param change         what happened
 * @param previousStatus the status before, for status changes
 * @param reason         why, as the actor gave it
 * @param actor          who made the change
 */
public record RegionChanged(Region region, long version, Change change, @Nullable RegionStatus previousStatus,
        @Nullable String reason, String actor) {

    /** Kinds of change. */
    public enum Change {
        REGISTERED, UPDATED, STATUS_CHANGED, REMOVED
    }
}
