package io.meridian.failover.database;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A PostgreSQL write-ahead log position ({@code pg_lsn}), written {@code 16/B374D848}: the high and low 32 bits
 * in hex. Differences between two positions are bytes of WAL.
 *
 * @param value the position as an unsigned 64-bit number (fits a signed long for any real server)
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** The zero position. */
    public static final Lsn ZERO = new Lsn(0);

    public Lsn {
        if (value < 0) {
            throw new IllegalArgumentException("LSN out of range: " + value);
        }
    }

    /** Parses {@code X/Y}. */
    @JsonCreator
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN: " + text);
        }
        long high = Long.parseLong(text.substring(0, slash), 16);
        long low = Long.parseLong(text.substring(slash + 1), 16);
        if (high > 0x7fffffffL || low > 0xffffffffL) {
            throw new IllegalArgumentException("LSN out of range: " + text);
        }
        return new Lsn(high << 32 | low);
    }

    /** Parses {@code X/Y}, or null for null. */
    public static @org.jspecify.annotations.Nullable Lsn parseNullable(@org.jspecify.annotations.Nullable String text) {
        return text == null ? null : parse(text);
    }

    /** Bytes from {@code earlier} to this position (negative if {@code earlier} is ahead). */
    public long minus(Lsn earlier) {
        return value - earlier.value;
    }

    /** The later of two positions. */
    public static Lsn max(Lsn a, Lsn b) {
        return a.value >= b.value ? a : b;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compare(value, other.value);
    }

    @JsonValue
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(value & 0xffffffffL).toUpperCase(java.util.Locale.ROOT);
    }
}
