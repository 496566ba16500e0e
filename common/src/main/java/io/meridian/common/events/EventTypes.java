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
    /** A service's routing table was compiled; data is a {@code RoutingTable} (compacted topic, keyed by service). */
    public static final String ROUTING_TABLE_COMPILED = "meridian.routing.table-compiled.v1";
    /** A step of a failover or switchover; data is a {@code FailoverEvent} (keyed by operation id). */
    public static final String FAILOVER_STEP = "meridian.failover.step.v1";
    /** A deployment started (or was retried, or a rollback began); data is a {@code DeploymentChanged} (keyed by deployment id). */
    public static final String DEPLOYMENT_STARTED = "meridian.deployment.started.v1";
    /** One region of a deployment changed state; data is the whole {@code DeploymentChanged}. */
    public static final String DEPLOYMENT_REGION_CHANGED = "meridian.deployment.region-changed.v1";
    /** Every region of a deployment finished; data is the whole {@code DeploymentChanged}. */
    public static final String DEPLOYMENT_FINISHED = "meridian.deployment.finished.v1";
    /** An out-of-band change of a deployed object was found; data is a {@code DriftDetected}. */
    public static final String DEPLOYMENT_DRIFT_DETECTED = "meridian.deployment.drift-detected.v1";

    private EventTypes() {
    }
}
