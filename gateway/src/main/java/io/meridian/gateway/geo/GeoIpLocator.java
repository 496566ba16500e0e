package io.meridian.gateway.geo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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

    /** A located client and its stickiness key. */
    public record Located(ClientLocation location, long clientKey) {
    }

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

    private GeoIpLocator(@Nullable Reader reader, @Nullable String description, Place defaultPlace, int cacheSize) {
        this.reader = reader;
        this.description = description;
        this.defaultPlace = defaultPlace;
        int size = Integer.highestOneBit(Math.max(16, cacheSize));
        this.cache = new Slot[size];
        this.mask = size - 1;
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
        byte[] address = IpLiterals.parse(text);
        if (address == null) {
            return new Located(location(text, defaultPlace, ClientLocation.Source.MALFORMED), RoutingDecider.clientKey(
                    text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return new Located(locate(address, text), RoutingDecider.clientKey(address));
    }

    /** Locates the client with address bytes {@code address} (4 or 16); {@code text} is how it is reported. */
    public ClientLocation locate(byte[] address, String text) {
        if (IpLiterals.isNonPublic(address)) {
            return location(text, defaultPlace, ClientLocation.Source.PRIVATE);
        }
        Place place = lookup(address);
        return place == null ? location(text, defaultPlace, ClientLocation.Source.UNKNOWN) : location(text, place, ClientLocation.Source.GEOIP);
    }

    /** The place of a public address, or null if the database does not know it. */
    public @Nullable Place lookup(byte[] address) {
        if (reader == null) {
            return null;
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
