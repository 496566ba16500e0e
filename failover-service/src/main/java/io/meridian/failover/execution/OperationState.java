package io.meridian.failover.execution;

/**
 * The steps of an operation, persisted before each is carried out, so that whoever holds the executor lease next
 * carries on from the step that was running (every step is safe to repeat).
 *
 * <pre>
 * FAILOVER:   DETECTED → FENCING → LAG_GATE → PROMOTING → REROUTING → VERIFYING → COMPLETED
 * SWITCHOVER: DETECTED → FENCING (writes paused) → LAG_GATE (lag 0, old primary stopped) → PROMOTING → REROUTING
 *             → VERIFYING → REJOINING (old primary follows the new one) → COMPLETED
 * REJOIN:     DETECTED → REJOINING → COMPLETED
 * any step that fails → HALTED (operators act; the old primary stays fenced) or ROLLED_BACK (undone; it serves again)
 * </pre>
 */
public enum OperationState {
    /** Decided (failover) or requested (switchover, rejoin). */
    DETECTED,
    /** Making the old primary unable to accept writes and taking it out of routing. */
    FENCING,
    /** Choosing the standby to promote by its lag (failover), or waiting for lag 0 (switchover). */
    LAG_GATE,
    /** {@code pg_promote()} on the chosen standby. */
    PROMOTING,
    /** Publishing the promotion so that routing and the gateway switch. */
    REROUTING,
    /** Writing on the new primary. */
    VERIFYING,
    /** Making a member a standby of the current primary. */
    REJOINING,
    /** Done. */
    COMPLETED,
    /** Stopped by a failed step, with the reason; operators act. */
    HALTED,
    /** Stopped by a failed step and undone. */
    ROLLED_BACK;

    /** Whether the operation has ended. */
    public boolean terminal() {
        return this == COMPLETED || this == HALTED || this == ROLLED_BACK;
    }
}
