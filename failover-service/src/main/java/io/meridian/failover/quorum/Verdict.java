package io.meridian.failover.quorum;

/** What one observer currently holds about one member. */
public enum Verdict {
    /** Its newest observation found the member healthy. */
    HEALTHY,
    /** Unhealthy, but not yet for long enough (consecutive failures, degraded duration) to count as failed. */
    SUSPECT,
    /** Failed: enough consecutive failed probes, or degraded for longer than allowed. */
    FAILED
}
