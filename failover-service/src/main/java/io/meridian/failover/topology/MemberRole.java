package io.meridian.failover.topology;

/** What a member currently is in its cluster, as failover-service last made it. */
public enum MemberRole {
    /** Takes the writes. */
    PRIMARY,
    /** Streams from the primary and may be promoted. */
    STANDBY,
    /** Fenced by a failover or switchover: accepts no writes, out of traffic, until it rejoins as a standby. */
    FENCED
}
