package io.meridian.common.events;

/** Event types, one constant per kind of change, versioned by suffix. */
public final class EventTypes {

    /** A region was registered or changed; data is a {@code RegionChanged} with the whole region. */
    public static final String REGION_UPSERTED = "meridian.region.upserted.v1";
    /** A region's status moved; data is a {@code RegionChanged} with the whole region and the reason. */
    public static final String REGION_STATUS_CHANGED = "meridian.region.status-changed.v1";
    /** A region was removed; data is a {@code RegionChanged}; a tombstone for its key follows. */
    public static final String REGION_REMOVED = "meridian.region.removed.v1";
    /** A region's health was observed; data is a {@code HealthObservation}. */
    public static final String HEALTH_OBSERVED = "meridian.health.observed.v1";
    /** A control action was recorded; data is the audit record. */
    public static final String AUDIT_RECORDED = "meridian.audit.recorded.v1";

    private EventTypes() {
    }
}
