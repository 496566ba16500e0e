package io.meridian.common.routing;

import org.jspecify.annotations.Nullable;

/**
 * Where a client is, as far as routing knows.
 *
 * @param address   the client address as given (or the EDNS client subnet address)
 * @param country   ISO 3166-1 alpha-2 country, if known
 * @param latitude  degrees north
 * @param longitude degrees east
 * @param source    how the location was found; anything but {@link Source#GEOIP} is the configured default location
 */
public record ClientLocation(String address, @Nullable String country, double latitude, double longitude, Source source) {

    /** How a client location was found. */
    public enum Source {
        /** Looked up in the GeoIP database. */
        GEOIP,
        /** A private, loopback, link-local or otherwise non-public address: the default location. */
        PRIVATE,
        /** A public address the GeoIP database does not know (or no database is loaded): the default location. */
        UNKNOWN,
        /** Not an IP address at all: the default location. */
        MALFORMED
    }

    /** Whether this is the configured default rather than a GeoIP answer. */
    public boolean isDefault() {
        return source != Source.GEOIP;
    }
}
