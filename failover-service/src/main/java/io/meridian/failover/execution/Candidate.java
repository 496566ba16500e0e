package io.meridian.failover.execution;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.failover.database.Lsn;

/**
 * A standby as the lag gate measured it.
 *
 * @param region      its region
 * @param eligible    whether it answered and is in recovery
 * @param received    the WAL it received
 * @param replayed    the WAL it replayed
 * @param lagBytes    how much WAL it misses against the reference position
 * @param withinBound whether that is within the lag bound
 * @param note        what was seen
 */
public record Candidate(RegionId region, boolean eligible, @Nullable Lsn received, @Nullable Lsn replayed, @Nullable Long lagBytes,
        boolean withinBound, String note) {

    /** The furthest WAL position it has. */
    public @Nullable Lsn position() {
        if (received == null) {
            return replayed;
        }
        return replayed == null ? received : Lsn.max(received, replayed);
    }
}
