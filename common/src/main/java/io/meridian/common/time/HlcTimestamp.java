package io.meridian.common.time;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A hybrid logical clock reading: wall-clock milliseconds plus a logical counter that orders events
 * within the same millisecond and across skewed clocks. Packed into one {@code long} (48 bits of
 * milliseconds, 16 bits of counter) so it sorts as a number and fits a {@code bigint} column.
 *
 * @param physicalMillis milliseconds since the epoch, 0 to 2^48-1
 * @param logical        counter, 0 to 65535
 */
public record HlcTimestamp(long physicalMillis, int logical) implements Comparable<HlcTimestamp> {

    static final int LOGICAL_BITS = 16;
    static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;
    static final long MAX_PHYSICAL = (1L << (64 - LOGICAL_BITS - 1)) - 1;

    /** The smallest timestamp. */
    public static final HlcTimestamp ZERO = new HlcTimestamp(0, 0);

    public HlcTimestamp {
        if (physicalMillis < 0 || physicalMillis > MAX_PHYSICAL) {
            throw new IllegalArgumentException("physicalMillis out of range: " + physicalMillis);
        }
        if (logical < 0 || logical > LOGICAL_MASK) {
            throw new IllegalArgumentException("logical out of range: " + logical);
        }
    }

    /** The packed form: sorts exactly as the timestamps do. */
    public long packed() {
        return (physicalMillis << LOGICAL_BITS) | logical;
    }

    /** The timestamp a packed value stands for. */
    public static HlcTimestamp fromPacked(long packed) {
        if (packed < 0) {
            throw new IllegalArgumentException("packed HLC value must not be negative: " + packed);
        }
        return new HlcTimestamp(packed >>> LOGICAL_BITS, (int) (packed & LOGICAL_MASK));
    }

    /** Text form {@code <millis>.<counter>}, as carried in event headers. */
    @JsonValue
    @Override
    public String toString() {
        return physicalMillis + "." + logical;
    }

    /** Parses the text form. */
    @JsonCreator
    public static HlcTimestamp parse(String text) {
        int dot = text.indexOf('.');
        if (dot <= 0 || dot == text.length() - 1) {
            throw new IllegalArgumentException("HLC timestamp must look like '<millis>.<counter>': " + text);
        }
        try {
            return new HlcTimestamp(Long.parseLong(text.substring(0, dot)), Integer.parseInt(text.substring(dot + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("HLC timestamp must look like '<millis>.<counter>': " + text, e);
        }
    }

    @Override
    public int compareTo(HlcTimestamp other) {
        return Long.compare(packed(), other.packed());
    }
}
