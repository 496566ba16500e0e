package io.meridian.failover.probe;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.failover.database.ManagedDatabases;
import io.meridian.failover.quorum.ObserverBook;
import io.meridian.failover.topology.MemberRole;

/**
 * One probe of one member by this instance.
 *
 * @param cluster       the member's cluster
 * @param region        the member's region
 * @param role          the role it was probed in (what it should be)
 * @param sequence      this instance's probe number for the member (results apply in this order)
 * @param at            when the probe started
 * @param health        what it found: UP, DEGRADED (answers, but the write probe failed, or it is in the wrong role) or
 *                      DOWN (no connection, no answer within the timeout, or the query failed)
 * @param latencyMillis how long the probe took
 * @param detail        what it saw, for people
 * @param state         what the database reported, if it answered
 */
public record ProbeResult(String cluster, RegionId region, MemberRole role, long sequence, Instant at, ObserverBook.Health health,
        double latencyMillis, String detail, ManagedDatabases.@Nullable State state, @Nullable AppHealth app) {

    /**
     * What the region's application health endpoint answered in the same round (when the member names one).
     *
     * @param up            whether it answered 2xx in time
     * @param status        the HTTP status, 0 when there was no answer
     * @param latencyMillis how long it took
     * @param detail        the status line or the error
     */
    public record AppHealth(boolean up, int status, double latencyMillis, String detail) {
    }
}
