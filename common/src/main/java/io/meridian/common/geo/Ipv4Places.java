package io.meridian.common.geo;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.InvalidNetworkException;
import com.maxmind.db.Network;
import com.maxmind.db.Networks;
import com.maxmind.db.Reader;

/**
 * The whole IPv4 space of a City database compiled into two sorted arrays: where each range starts and which place
 * it is at. A lookup is one binary search over ints (about 22 steps, no allocation) instead of a walk of MaxMind's
 * search tree and a record decode, which is what makes a million distinct clients per second per thread possible
 * (the reader decodes a record in about 3.5 µs).
 *
 * <p>No library offers this: MaxMind's reader answers one address at a time, by design. Compiling walks every
 * IPv4 network of the database once (about 3.7 million for GeoLite2 City, some seconds of CPU), merging neighbours
 * at the same place; the result is saved next to the database, keyed by the database's build time and size, so it
 * is compiled once per database and loaded in a fraction of a second afterwards.
 */
public final class Ipv4Places {

    private static final int MAGIC = 0x4d52_4950; // "MRIP"
    private static final int FORMAT = 1;
    private static final int NOWHERE = -1;

    /** Range starts, unsigned addresses flipped into signed order ({@code address ^ 0x80000000}), ascending. */
    private final int[] starts;
    /** The place of each range, an index into {@link #places}, or {@link #NOWHERE} for addresses the database lacks. */
    private final int[] placeOf;
    /**
     * The same ranges for lookups, each as one long: its flipped start in the high 32 bits, its place in the low
     * 32 bits. Searching these instead of {@link #starts} finds the place in the cache line the search ended in,
     * where a separate {@code placeOf} array costs one more cache miss per lookup in a 20 MB table.
     */
    private final long[] ranges;
    private final GeoIpLocator.Place[] places;
    /**
     * For each /16 (the address's top 16 bits), the index of the range holding its first address; so a lookup
     * searches only the few ranges of its own /16 (in one or two cache lines) instead of all of them (a dozen
     * cache misses in a 20 MB array).
     */
    private final int[] rangeOf16 = new int[(1 << 16) + 1];

    private Ipv4Places(int[] starts, int[] placeOf, GeoIpLocator.Place[] places) {
        this.starts = starts;
        this.placeOf = placeOf;
        this.places = places;
        this.ranges = new long[starts.length];
        for (int i = 0; i < starts.length; i++) {
            ranges[i] = (long) starts[i] << 32 | placeOf[i] & 0xffffffffL;
        }
        int range = 0;
        for (int prefix = 0; prefix < 1 << 16; prefix++) {
            int first = (prefix << 16) ^ Integer.MIN_VALUE;
            while (range + 1 < starts.length && starts[range + 1] <= first) {
                range++;
            }
            rangeOf16[prefix] = range;
        }
        rangeOf16[1 << 16] = starts.length - 1;
    }

    /** The place of IPv4 address {@code address} (as {@link IpLiterals#ipv4}), or null if the database lacks it. */
    public GeoIpLocator.@Nullable Place lookup(int address) {
        int place = placeIndex(address);
        return place == NOWHERE ? null : places[place];
    }

    /**
     * The index of the place of IPv4 address {@code address} (as {@link IpLiterals#ipv4}), in [0, {@link #places()}),
     * or -1 if the database lacks it. Indexes are dense, so callers can keep per-place data in arrays.
     */
    public int placeIndex(int address) {
        int prefix = address >>> 16;
        // the last range starting at or before the address: search for (address, largest place) and step back
        long key = (long) (address ^ Integer.MIN_VALUE) << 32 | 0xffffffffL;
        int i = Arrays.binarySearch(ranges, rangeOf16[prefix], rangeOf16[prefix + 1] + 1, key);
        if (i < 0) {
            i = -i - 2;
        }
        return (int) ranges[i];
    }

    /** The place with index {@code index} (see {@link #placeIndex}). */
    public GeoIpLocator.Place place(int index) {
        return places[index];
    }

    /** How many ranges the table holds (after merging neighbours at the same place). */
    public int ranges() {
        return starts.length;
    }

    /** How many distinct places the ranges point at. */
    public int places() {
        return places.length;
    }

    /**
     * Compiles the IPv4 networks of {@code reader}'s database.
     *
     * @param type    the record type to decode networks into
     * @param placeOf the place of a decoded record (null: the database has nothing usable for it)
     */
    public static <T> Ipv4Places compile(Reader reader, Class<T> type, Function<@Nullable T, GeoIpLocator.@Nullable Place> placeOf)
            throws IOException {
        Network all;
        try {
            all = new Network(InetAddress.getByAddress(new byte[4]), 0);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
        Networks<T> networks;
        try {
            networks = reader.networksWithin(all, false, type);
        } catch (InvalidNetworkException e) {
            throw new IOException("the database has no IPv4 subtree", e);
        }
        Builder builder = new Builder();
        while (networks.hasNext()) {
            DatabaseRecord<T> record = networks.next();
            byte[] start = record.network().networkAddress().getAddress();
            if (start.length != 4) {
                continue; // only the IPv4 subtree is compiled
            }
            long first = IpLiterals.ipv4(start) & 0xffffffffL;
            long size = 1L << (32 - record.network().prefixLength());
            builder.add(first, first + size, placeOf.apply(record.data()));
        }
        return builder.build();
    }

    /** A table of explicit ranges, added in ascending order through the builder. */
    public static Ipv4Places of(java.util.function.Consumer<Builder> ranges) {
        Builder builder = new Builder();
        ranges.accept(builder);
        return builder.build();
    }

    /** Accumulates ascending, non-overlapping ranges, filling gaps with "nowhere" and merging equal neighbours. */
    public static final class Builder {

        private final Map<GeoIpLocator.Place, Integer> index = new HashMap<>();
        private final List<GeoIpLocator.Place> places = new ArrayList<>();
        private int[] starts = new int[1 << 16];
        private int[] placeOf = new int[1 << 16];
        private int size;
        private long end; // exclusive end of the last range added

        /** Adds [{@code from}, {@code to}) at {@code place} (null: unknown); ranges come in ascending order. */
        public Builder add(long from, long to, GeoIpLocator.@Nullable Place place) {
            if (from < end || to <= from || to > 1L << 32) {
                throw new IllegalArgumentException("range " + from + "-" + to + " is not after " + end);
            }
            if (from > end) {
                append(end, NOWHERE);
            }
            append(from, place == null ? NOWHERE : index.computeIfAbsent(place, p -> {
                places.add(p);
                return places.size() - 1;
            }));
            end = to;
            return this;
        }

        private void append(long from, int place) {
            if (size > 0 && placeOf[size - 1] == place) {
                return; // the previous range goes on
            }
            if (size == starts.length) {
                starts = Arrays.copyOf(starts, size * 2);
                placeOf = Arrays.copyOf(placeOf, size * 2);
            }
            starts[size] = (int) from ^ Integer.MIN_VALUE;
            placeOf[size] = place;
            size++;
        }

        Ipv4Places build() {
            if (end < 1L << 32) {
                append(end, NOWHERE);
            }
            return new Ipv4Places(Arrays.copyOf(starts, size), Arrays.copyOf(placeOf, size),
                    places.toArray(GeoIpLocator.Place[]::new));
        }
    }

    /** Writes the table to {@code file} (through a temporary file and a rename) for {@code database}. */
    public void save(Path file, String database) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try (OutputStream os = Files.newOutputStream(tmp);
             DataOutputStream out = new DataOutputStream(new BufferedOutputStream(os, 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(FORMAT);
            out.writeUTF(database);
            out.writeInt(places.length);
            for (GeoIpLocator.Place place : places) {
                out.writeUTF(place.country());
                out.writeDouble(place.latitude());
                out.writeDouble(place.longitude());
            }
            out.writeInt(starts.length);
            for (int i = 0; i < starts.length; i++) {
                out.writeInt(starts[i]);
                out.writeInt(placeOf[i]);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            // readable by every local process that routes (routing-service and gateways may run as other users)
            Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: keep the default permissions
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads a table {@link #save saved} for {@code database}; null if the file is missing, for another database, or
     * not a complete table (it is then compiled again).
     */
    public static @Nullable Ipv4Places load(Path file, String database) {
        if (!Files.isReadable(file)) {
            return null;
        }
        try (InputStream is = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(is, 1 << 16))) {
            if (in.readInt() != MAGIC || in.readInt() != FORMAT || !in.readUTF().equals(database)) {
                return null;
            }
            GeoIpLocator.Place[] places = new GeoIpLocator.Place[in.readInt()];
            for (int i = 0; i < places.length; i++) {
                places[i] = new GeoIpLocator.Place(in.readUTF(), in.readDouble(), in.readDouble());
            }
            int n = in.readInt();
            int[] starts = new int[n];
            int[] placeOf = new int[n];
            for (int i = 0; i < n; i++) {
                starts[i] = in.readInt();
                placeOf[i] = in.readInt();
                if (placeOf[i] < NOWHERE || placeOf[i] >= places.length || i > 0 && starts[i] <= starts[i - 1]) {
                    return null;
                }
            }
            return in.read() == -1 ? new Ipv4Places(starts, placeOf, places) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
