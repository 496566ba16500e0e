package io.meridian.region.deployment;

/** The state of a whole deployment, from its regions. */
public enum DeploymentState {
    /** At least one region still has work to do. */
    RUNNING,
    /** Every region succeeded. */
    SUCCEEDED,
    /** Some regions succeeded, some failed. */
    PARTIALLY_FAILED,
    /** Every region failed. */
    FAILED
}
