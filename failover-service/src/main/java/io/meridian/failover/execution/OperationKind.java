package io.meridian.failover.execution;

/** What an operation does. */
public enum OperationKind {
    /** Unplanned: the quorum held the primary failed; fence it and promote the best standby. */
    FAILOVER,
    /** Planned: pause writes, let the standby catch up to lag 0, switch, and make the old primary a standby. */
    SWITCHOVER,
    /** Re-seed a fenced member as a standby of the current primary. */
    REJOIN
}
