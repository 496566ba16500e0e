package io.meridian.common.time;

/**
 * A remote timestamp is further ahead of the local wall clock than the configured maximum offset.
 * Accepting it would drag every later local timestamp into the future, so it is refused.
 */
public class ClockSkewException extends RuntimeException {

    private final long aheadMillis;

    public ClockSkewException(long aheadMillis, long maxOffsetMillis) {
        super("remote clock is " + aheadMillis + " ms ahead, more than the allowed " + maxOffsetMillis + " ms");
        this.aheadMillis = aheadMillis;
    }

    /** How far ahead of the local clock the remote timestamp was. */
    public long aheadMillis() {
        return aheadMillis;
    }
}
