package io.meridian.region.deployment;

/** The status of a revision of a service in a region. */
public enum RevisionStatus {
    /** Being applied. */
    PENDING,
    /** What runs now. */
    DEPLOYED,
    /** Ran before a newer revision was deployed. */
    SUPERSEDED,
    /** Its deployment failed. */
    FAILED
}
