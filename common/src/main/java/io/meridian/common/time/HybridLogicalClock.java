package io.meridian.common.time;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Hybrid logical clock (Kulkarni et al., 2014): timestamps that never go backwards on one node,
 * that order causally related events across nodes, and that stay within the maximum offset of wall
 * time. Used to order writes for last-writer-wins conflict resolution and to stamp events.
 *
 * <p>Thread-safe without locks: the state is one packed {@code long} advanced by compare-and-set.
 * Written by hand because no maintained Java library offers an HLC with bounded-skew rejection.
 */
public final class HybridLogicalClock {

    private final LongSupplier wallClockMillis;
    private final long maxOffsetMillis;
    private final AtomicLong state = new AtomicLong();

    /**
     * @param wallClockMillis the physical clock, in epoch milliseconds
     * @param maxOffset       how far ahead of this node's wall clock a remote timestamp may be
     */
    public HybridLogicalClock(LongSupplier wallClockMillis, Duration maxOffset) {
        if (maxOffset.isNegative() || maxOffset.isZero()) {
            throw new IllegalArgumentException("maxOffset must be positive");
        }
        this.wallClockMillis = wallClockMillis;
        this.maxOffsetMillis = maxOffset.toMillis();
    }

    /** A clock on the system wall clock allowing 500 ms of skew. */
    public static HybridLogicalClock system() {
        return new HybridLogicalClock(System::currentTimeMillis, Duration.ofMillis(500));
    }

    /** A timestamp for a local event or a message about to be sent; strictly greater than any before. */
    public HlcTimestamp now() {
        long wall = wall();
        while (true) {
            long current = state.get();
            long next = (current >>> HlcTimestamp.LOGICAL_BITS) >= wall ? increment(current) : wall << HlcTimestamp.LOGICAL_BITS;
            if (state.compareAndSet(current, next)) {
                return HlcTimestamp.fromPacked(next);
            }
        }
    }

    /**
     * Merges a timestamp received from another node and returns one for the receive event, greater
     * than both the remote timestamp and any issued here before.
     *
     * @throws ClockSkewException when the remote timestamp is more than the maximum offset ahead
     */
    public HlcTimestamp update(HlcTimestamp remote) {
        long wall = wall();
        long ahead = remote.physicalMillis() - wall;
        if (ahead > maxOffsetMillis) {
            throw new ClockSkewException(ahead, maxOffsetMillis);
        }
        long remotePacked = remote.packed();
        while (true) {
            long current = state.get();
            long highest = Math.max(current, remotePacked);
            long next = (highest >>> HlcTimestamp.LOGICAL_BITS) >= wall ? increment(highest) : wall << HlcTimestamp.LOGICAL_BITS;
            if (state.compareAndSet(current, next)) {
                return HlcTimestamp.fromPacked(next);
            }
        }
    }

    /** The last timestamp issued, without advancing. */
    public HlcTimestamp last() {
        return HlcTimestamp.fromPacked(state.get());
    }

    // When the counter is full, the carry moves the timestamp into the next millisecond, which keeps
    // the order strict; the physical part then leads wall time by a millisecond until it catches up.
    private static long increment(long packed) {
        return packed + 1;
    }

    private long wall() {
        long wall = wallClockMillis.getAsLong();
        if (wall < 0 || wall > HlcTimestamp.MAX_PHYSICAL) {
            throw new IllegalStateException("wall clock out of range: " + wall);
        }
        return wall;
    }
}
