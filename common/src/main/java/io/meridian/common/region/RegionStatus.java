package io.meridian.common.region;

import java.util.EnumSet;
import java.util.Set;

/**
 * Lifecycle of a region and the only transitions allowed between its states.
 *
 * <pre>
 * ACTIVE      → DEGRADED, DRAINING, MAINTENANCE, FAILED
 * DEGRADED    → ACTIVE, DRAINING, MAINTENANCE, FAILED
 * DRAINING    → ACTIVE, MAINTENANCE, FAILED
 * MAINTENANCE → ACTIVE, DEGRADED, FAILED
 * FAILED      → DEGRADED, MAINTENANCE        (recovery: never straight back to ACTIVE)
 * </pre>
 *
 * A failed region comes back through recovery: first {@code DEGRADED} (serving, watched) or
 * {@code MAINTENANCE} (repaired out of traffic), and only from there to {@code ACTIVE}.
 */
public enum RegionStatus {
    /** Healthy and taking traffic. */
    ACTIVE,
    /** Taking traffic with reduced health; routing prefers other regions. */
    DEGRADED,
    /** No new sessions; existing ones finish. */
    DRAINING,
    /** Out of traffic for planned work. */
    MAINTENANCE,
    /** Out of traffic after a failure; returns only through recovery. */
    FAILED;

    /** The states this one may move to. */
    public Set<RegionStatus> allowedTransitions() {
        return switch (this) {
            case ACTIVE -> EnumSet.of(DEGRADED, DRAINING, MAINTENANCE, FAILED);
            case DEGRADED -> EnumSet.of(ACTIVE, DRAINING, MAINTENANCE, FAILED);
            case DRAINING -> EnumSet.of(ACTIVE, MAINTENANCE, FAILED);
            case MAINTENANCE -> EnumSet.of(ACTIVE, DEGRADED, FAILED);
            case FAILED -> EnumSet.of(DEGRADED, MAINTENANCE);
        };
    }

    /** Whether moving from this state to {@code target} is allowed (staying put is not a transition). */
    public boolean canTransitionTo(RegionStatus target) {
        return allowedTransitions().contains(target);
    }

    /** Whether routing may start new sessions in a region in this state. */
    public boolean acceptsNewTraffic() {
        return this == ACTIVE || this == DEGRADED;
    }

    /** Whether sessions already in the region may continue. */
    public boolean servesExistingTraffic() {
        return this == ACTIVE || this == DEGRADED || this == DRAINING;
    }
}
