package io.meridian.region.registry;

import java.util.Locale;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionStatus;

/**
 * The explicit actions that move a region through its lifecycle, each to one target state. Recovery
 * is its own action because it applies only to a failed region: it brings it back watched
 * ({@code DEGRADED}); {@code activate} then returns it to full service.
 */
public enum LifecycleAction {
    /** Stop new sessions; existing ones finish. */
    DRAIN(RegionStatus.DRAINING, null),
    /** Out of traffic for planned work. */
    MAINTENANCE(RegionStatus.MAINTENANCE, null),
    /** Back to full service. */
    ACTIVATE(RegionStatus.ACTIVE, null),
    /** Serving with reduced health; routing prefers other regions. */
    DEGRADE(RegionStatus.DEGRADED, null),
    /** Declared failed: out of traffic until recovered. */
    FAIL(RegionStatus.FAILED, null),
    /** A failed region serves again, watched. */
    RECOVER(RegionStatus.DEGRADED, RegionStatus.FAILED);

    private final RegionStatus target;
    private final @Nullable RegionStatus requiredFrom;

    LifecycleAction(RegionStatus target, @Nullable RegionStatus requiredFrom) {
        this.target = target;
        this.requiredFrom = requiredFrom;
    }

    /** The state the action moves the region to. */
    public RegionStatus target() {
        return target;
    }

    /** The only state the action applies to, if it is restricted. */
    public @Nullable RegionStatus requiredFrom() {
        return requiredFrom;
    }

    /** The audit action name, {@code region.drain}. */
    public String auditName() {
        return "region." + name().toLowerCase(Locale.ROOT);
    }

    /** Parses the path segment ({@code drain}, {@code recover}, ...). */
    public static LifecycleAction fromPath(String segment) {
        return valueOf(segment.toUpperCase(Locale.ROOT));
    }
}
