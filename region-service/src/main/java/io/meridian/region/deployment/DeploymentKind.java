package io.meridian.region.deployment;

/** Why a deployment exists. */
public enum DeploymentKind {
    /** Service S at version V to a set of regions. */
    DEPLOY,
    /** One region back to a previous revision. */
    ROLLBACK
}
