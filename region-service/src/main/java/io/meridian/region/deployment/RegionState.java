package io.meridian.region.deployment;

/** The state machine of one region in a deployment. */
public enum RegionState {
    /** Accepted; not rendered yet. */
    PENDING,
    /** Rendered (the objects and the revision are fixed); being applied to the cluster. */
    APPLYING,
    /** Applied; waiting for the cluster to report the rollout complete. */
    ROLLING_OUT,
    /** The cluster reports every Deployment rolled out and ready. */
    SUCCEEDED,
    /** Stopped; the reason says why. A retry resumes failed regions. */
    FAILED;

    /** Whether the executor still has work to do in this state. */
    public boolean active() {
        return this == PENDING || this == APPLYING || this == ROLLING_OUT;
    }
}
