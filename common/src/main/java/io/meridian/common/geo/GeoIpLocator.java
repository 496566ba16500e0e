package io.meridian.common.geo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.maxmind.db.CHMCache;
import com.maxmind.db.DatabaseRecord;
import com.maxmind.db.MaxMindDbConstructor;
import com.maxmind.db.MaxMindDbParameter;
import com.maxmind.db.Reader;

import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingDecider;

/**
 * Finds where a client address is, from a MaxMind-format City database (GeoLite2 City or a licensed
 * GeoIP2 City), behind a small per-network cache. Private, unknown and malformed addresses get the
 * configured default location, and the answer says which of these it was.
 *
 * <p>The database is read with MaxMind's own reader ({@code com.maxmind.db.Reader}, the library under
 * geoip2's {@code DatabaseReader}, with its {@link CHMCache}), decoding only what routing needs (the
 * country's and registered country's ISO code, latitude and longitude) into a small record instead of
 * geoip2's whole {@code CityResponse} with names in every language: the same records, several times
 * faster per lookup ({@code GeoIpLocatorTests} checks that it agrees with {@code DatabaseReader.city()}).
 *
 * <p>The network cache is direct-mapped (a fixed array; a colliding entry replaces the older one) and
 * lock-free (entries are immutable). An IPv4 answer whose network is a /24 or larger is cached for the
 * whole /24, smaller networks for the exact address; IPv6 answers for networks of /48 or larger are
 * cached per /48. So a client population from a bounded set of networks costs one array probe instead
 * of a database walk and a response object per lookup.
 */
public final class GeoIpLocator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GeoIpLocator.class);

    /**
     * A place a network is at.
     *
     * @param country   ISO country code
     * @param latitude  degrees north
     * @param longitude degrees east
     */
    public record Place(String country, double latitude, double longitude) {
    }

    /**
     * A located client, its stickiness key and its place id.
     *
     * @param location  where the client is
     * @param clientKey the client's stickiness key
     * @param placeId   a dense id of the location, for {@link RoutingDecider#decide(ClientLocation, int, long, boolean)}:
     *                  {@link #DEFAULT_PLACE_ID} for the default location, 1 + the compiled IPv4 table's place index for
     *                  an answer from that table, {@link #NO_PLACE_ID} for answers of the database reader (IPv6, or IPv4
     *                  before the table is in use). Equal ids always mean equal country and coordinates
     */
    public record Located(ClientLocation location, long clientKey, int placeId) {
    }

    /** {@link Located#placeId} of the default location (private, unknown and malformed addresses). */
    public static final int DEFAULT_PLACE_ID = 0;
    /** {@link Located#placeId} of a location without a dense id. */
    public static final int NO_PLACE_ID = -1;

    private record Slot(long key, Place place) {
    }

    /** The part of a City record routing reads. */
    public record CityRecord(@MaxMindDbParameter(name = "country") @Nullable CountryRecord country,
            @MaxMindDbParameter(name = "registered_country") @Nullable CountryRecord registeredCountry,
            @MaxMindDbParameter(name = "location") @Nullable LocationRecord location) {
        @MaxMindDbConstructor
        public CityRecord {
        }
    }

    /** A country of a City record. */
    public record CountryRecord(@MaxMindDbParameter(name = "iso_code") @Nullable String isoCode) {
        @MaxMindDbConstructor
        public CountryRecord {
        }
    }

    /** The location of a City record. */
    public record LocationRecord(@MaxMindDbParameter(name = "latitude") @Nullable Double latitude,
            @MaxMindDbParameter(name = "longitude") @Nullable Double longitude) {
        @MaxMindDbConstructor
        public LocationRecord {
        }
    }

    private final @Nullable Reader reader;
    private final @Nullable String description;
    private final Place defaultPlace;
    private final Slot[] cache;
    private final int mask;
    /** The compiled IPv4 table once it is there (loaded or compiled in the background); until then the reader answers. */
    private final CompletableFuture<Ipv4Places> ipv4 = new CompletableFuture<>();
    private volatile @Nullable Ipv4Places ipv4Table;

    private GeoIpLocator(@Nullable Reader reader, @Nullable String description, Place defaultPlace, int cacheSize) {
        this.reader = reader;
        this.description = description;
        this.defaultPlace = defaultPlace;
        int size = Integer.highestOneBit(Math.max(16, cacheSize));
        this.cache = new Slot[size];
        this.mask = size - 1;
    }

    /**
     * Opens {@code database} like {@link #open(Path, Place, int)} and compiles its IPv4 space into an
     * {@link Ipv4Places} table, or loads the one compiled before from beside the database.
     */
    public static GeoIpLocator openCompiled(@Nullable Path database, Place defaultPlace, int cacheSize) {
        GeoIpLocator locator = open(database, defaultPlace, cacheSize);
        if (locator.reader == null || database == null) {
            locator.ipv4.completeExceptionally(new IllegalStateException("no GeoIP database"));
            return locator;
        }
        Path file = database.resolveSibling(database.getFileName() + ".ipv4-places");
        String key = locator.description + " (" + sizeOf(database) + " bytes)";
        Ipv4Places loaded = Ipv4Places.load(file, key);
        if (loaded != null) {
            locator.useIpv4(loaded);
            log.info("GeoIP: IPv4 table of {} ranges loaded from {}", loaded.ranges(), file);
            return locator;
        }
        Thread.ofPlatform().name("geoip-ipv4-compile").daemon().start(() -> {
            long t0 = System.nanoTime();
            try {
                Ipv4Places compiled = Ipv4Places.compile(locator.reader, CityRecord.class, GeoIpLocator::place);
                locator.ipv4Table = compiled; // lookups use it from now on
                log.info("GeoIP: IPv4 table of {} ranges at {} places compiled in {} ms", compiled.ranges(), compiled.places(),
                        (System.nanoTime() - t0) / 1_000_000);
                try {
                    compiled.save(file, key);
                } catch (IOException e) {
                    log.info("GeoIP: cannot keep the IPv4 table in {} ({}); it is compiled again on the next start", file, e.toString());
                }
                locator.useIpv4(compiled);
            } catch (IOException | RuntimeException e) {
                log.warn("GeoIP: compiling the IPv4 table failed; the database answers every lookup", e);
                locator.ipv4.completeExceptionally(e);
            }
        });
        return locator;
    }

    private void useIpv4(Ipv4Places table) {
        ipv4Table = table;
        ipv4.complete(table);
    }

    /** Completes with the compiled IPv4 table once it is in use and kept on disk (for start-up checks and benchmarks). */
    public CompletableFuture<Ipv4Places> ipv4Table() {
        return ipv4;
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Opens {@code database} (null or missing: no database, every client gets {@code defaultPlace}).
     *
     * @throws UncheckedIOException if the file exists but is not a readable MaxMind database
     */
    public static GeoIpLocator open(@Nullable Path database, Place defaultPlace, int cacheSize) {
        if (database == null || !Files.isReadable(database)) {
            if (database != null) {
                log.warn("GeoIP database {} is missing; every client gets the default location {}", database, defaultPlace);
            }
            return new GeoIpLocator(null, null, defaultPlace, cacheSize);
        }
        try {
            Reader reader = new Reader(database.toFile(), new CHMCache());
            var metadata = reader.getMetadata();
            if (!metadata.databaseType().contains("City")) {
                reader.close();
                throw new IllegalArgumentException("GeoIP database " + database + " is a " + metadata.databaseType()
                        + " database; routing needs a City database (coordinates)");
            }
            String description = metadata.databaseType() + " built " + metadata.buildTime()
                    + " from " + database;
            log.info("GeoIP: {}", description);
            return new GeoIpLocator(reader, description, defaultPlace, cacheSize);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open GeoIP database " + database, e);
        }
    }

    /** What database answers, or empty when none is loaded. */
    public Optional<String> database() {
        return Optional.ofNullable(description);
    }

    /** Locates the client at {@code text} (an IP literal; anything else is malformed). */
    public Located locate(String text) {
        long v4 = IpLiterals.ipv4Bits(text);
        if (v4 >= 0) {
            // a dotted quad, the common case: no address bytes, no InetAddress
            int address = (int) v4;
            return locateIpv4(address, text, RoutingDecider.clientKeyIpv4(address));
        }
        byte[] address = IpLiterals.parse(text);
        if (address == null) {
            return new Located(location(text, defaultPlace, ClientLocation.Source.MALFORMED), RoutingDecider.clientKey(
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), DEFAULT_PLACE_ID);
        }
        return locate(address, text, RoutingDecider.clientKey(address));
    }

    /** Locates the client with address bytes {@code address} (4 or 16); {@code text} is how it is reported. */
    public ClientLocation locate(byte[] address, String text) {
        return locate(address, text, 0).location();
    }

    /**
     * Locates the client with address bytes {@code address} (4 or 16), with its place id; {@code text} is how it is
     * reported and {@code clientKey} is passed through.
     */
    public Located locate(byte[] address, String text, long clientKey) {
        if (address.length == 4) {
            return locateIpv4(IpLiterals.ipv4(address), text, clientKey);
        }
        if (IpLiterals.isNonPublic(address)) {
            return new Located(location(text, defaultPlace, ClientLocation.Source.PRIVATE), clientKey, DEFAULT_PLACE_ID);
        }
        Place place = lookup(address);
        return place == null ? new Located(location(text, defaultPlace, ClientLocation.Source.UNKNOWN), clientKey, DEFAULT_PLACE_ID)
                : new Located(location(text, place, ClientLocation.Source.GEOIP), clientKey, NO_PLACE_ID);
    }

    /**
     * The place id of IPv4 address {@code address} (as {@link IpLiterals#ipv4}) without allocating:
     * {@link #DEFAULT_PLACE_ID} for a non-public address or one the database lacks, {@link #NO_PLACE_ID} while the
     * compiled table is not in use (then {@link #locate} answers from the reader). {@link #place} gives its place.
     */
    public int placeIdIpv4(int address) {
        if (IpLiterals.isNonPublicIpv4(address) || reader == null) {
            return DEFAULT_PLACE_ID;
        }
        Ipv4Places table = ipv4Table;
        if (table == null) {
            return NO_PLACE_ID;
        }
        return table.placeIndex(address) + 1; // -1 (unknown) becomes the default place's 0
    }

    /** The place with id {@code placeId} (not {@link #NO_PLACE_ID}): the default place, or the compiled table's. */
    public Place place(int placeId) {
        if (placeId == DEFAULT_PLACE_ID) {
            return defaultPlace;
        }
        Ipv4Places table = ipv4Table;
        if (table == null || placeId < 0) {
            throw new IllegalArgumentException("no place has id " + placeId);
        }
        return table.place(placeId - 1);
    }

    private Located locateIpv4(int address, String text, long clientKey) {
        if (IpLiterals.isNonPublicIpv4(address)) {
            return new Located(location(text, defaultPlace, ClientLocation.Source.PRIVATE), clientKey, DEFAULT_PLACE_ID);
        }
        Ipv4Places table = ipv4Table;
        if (table != null && reader != null) {
            int index = table.placeIndex(address);
            return index < 0 ? new Located(location(text, defaultPlace, ClientLocation.Source.UNKNOWN), clientKey, DEFAULT_PLACE_ID)
                    : new Located(location(text, table.place(index), ClientLocation.Source.GEOIP), clientKey, index + 1);
        }
        Place place = lookup(new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address});
        return place == null ? new Located(location(text, defaultPlace, ClientLocation.Source.UNKNOWN), clientKey, DEFAULT_PLACE_ID)
                : new Located(location(text, place, ClientLocation.Source.GEOIP), clientKey, NO_PLACE_ID);
    }

    /** The place of a public address, or null if the database does not know it. */
    public @Nullable Place lookup(byte[] address) {
        if (reader == null) {
            return null;
        }
        Ipv4Places table = ipv4Table;
        if (table != null && address.length == 4) {
            return table.lookup(IpLiterals.ipv4(address));
        }
        long wide;
        long exact;
        if (address.length == 4) {
            long v4 = IpLiterals.ipv4(address) & 0xffffffffL;
            wide = 1L << 60 | v4 >>> 8;
            exact = 2L << 60 | v4;
        } else {
            long high = 0;
            for (int i = 0; i < 6; i++) {
                high = high << 8 | (address[i] & 0xff);
            }
            wide = 3L << 60 | high;
            exact = -1;
        }
        Slot slot = cache[slot(wide)];
        if (slot != null && slot.key == wide) {
            return slot.place;
        }
        if (exact >= 0) {
            slot = cache[slot(exact)];
            if (slot != null && slot.key == exact) {
                return slot.place;
            }
        }
        DatabaseRecord<CityRecord> found;
        try {
            found = reader.getRecord(InetAddress.getByAddress(address), CityRecord.class);
        } catch (UnknownHostException e) {
            return null; // cannot happen for 4 or 16 bytes
        } catch (IOException | RuntimeException e) {
            log.debug("GeoIP lookup failed", e);
            return null;
        }
        Place place = found == null ? null : place(found.data());
        if (place == null) {
            return null;
        }
        int prefix = found.network() == null ? 128 : found.network().prefixLength();
        if (address.length == 4) {
            long key = prefix <= 24 ? wide : exact;
            cache[slot(key)] = new Slot(key, place);
        } else if (prefix <= 48) {
            cache[slot(wide)] = new Slot(wide, place);
        }
        return place;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    private static @Nullable Place place(@Nullable CityRecord city) {
        if (city == null) {
            return null;
        }
        String country = city.country() == null ? null : city.country().isoCode();
        if (country == null && city.registeredCountry() != null) {
            country = city.registeredCountry().isoCode();
        }
        LocationRecord location = city.location();
        if (country == null || location == null || location.latitude() == null || location.longitude() == null) {
            return null;
        }
        return new Place(country, location.latitude(), location.longitude());
    }

    private static ClientLocation location(String text, Place place, ClientLocation.Source source) {
        return new ClientLocation(text, place.country(), place.latitude(), place.longitude(), source);
    }

    @Override
    public void close() {
        if (reader != null) {
            try {
                reader.close();
            } catch (IOException e) {
                log.debug("closing the GeoIP database failed", e);
            }
        }
    }
}
