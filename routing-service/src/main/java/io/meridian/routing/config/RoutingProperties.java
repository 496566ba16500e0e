package io.meridian.routing.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Settings of the routing engine ({@code meridian.routing.*}).
 *
 * @param geoip          the GeoIP database and the default client location
 * @param countryZones   ISO 3166-1 alpha-2 country to residency zone ({@code DE: EU}); countries not listed have no zone
 * @param countryRegions ISO country to the regions its clients prefer, in order, for geographic rules without their own map
 * @param health         how health observations become health scores
 * @param dns            the authoritative DNS endpoint
 * @param startupTimeout how long the start-up read of the region registry topic may take before it is retried
 * @param policyRefresh  how often policies are re-read from the database (changes made through another instance)
 */
@ConfigurationProperties("meridian.routing")
public record RoutingProperties(
        @DefaultValue GeoIp geoip,
        @Nullable Map<String, String> countryZones,
        @Nullable Map<String, List<String>> countryRegions,
        @DefaultValue Health health,
        @DefaultValue Dns dns,
        @DefaultValue("30s") Duration startupTimeout,
        @DefaultValue("5s") Duration policyRefresh) {

    /**
     * GeoIP settings.
     *
     * @param database        path of a MaxMind-format City database (GeoLite2 City from {@code scripts/fetch-geoip.sh},
     *                        or a licensed GeoIP2 City); without one every client gets the default location
     * @param cacheSize       entries of the per-network location cache in front of the database (a power of two)
     * @param defaultLocation where private, unknown and malformed addresses are assumed to be
     */
    public record GeoIp(@Nullable Path database, @DefaultValue("262144") int cacheSize,
            @DefaultValue DefaultLocation defaultLocation) {
    }

    /**
     * The location given to clients GeoIP cannot place.
     *
     * @param latitude  degrees north
     * @param longitude degrees east
     * @param country   ISO 3166-1 alpha-2 country
     */
    public record DefaultLocation(@DefaultValue("39.04") double latitude, @DefaultValue("-77.49") double longitude,
            @DefaultValue("US") String country) {
    }

    /**
     * Health settings.
     *
     * @param threshold minimum score (0-1) for a region to count as healthy where a rule sets none
     * @param alpha     weight of the newest observation in the moving average (0-1]
     */
    public record Health(@DefaultValue("0.5") double threshold, @DefaultValue("0.3") double alpha) {
    }

    /**
     * The authoritative DNS endpoint.
     *
     * @param port            UDP and TCP port; 0 disables the endpoint
     * @param address         address to bind
     * @param zone            the zone answered authoritatively; {@code <service>.<zone>} names a routed service
     * @param ttl             TTL of answers (and of negative answers)
     * @param udpThreads      UDP receive threads (each its own socket on the port, SO_REUSEPORT)
     * @param tcp             whether to answer over TCP too
     * @param tcpIdleTimeout  how long an idle TCP connection is kept
     * @param regionAddresses extra or overriding addresses per region id (IP literals); by default a region's address is
     *                        the IP-literal host of its ingress URL
     */
    public record Dns(@DefaultValue("18053") int port, @DefaultValue("127.0.0.1") String address,
            @DefaultValue("svc.meridian.local.") String zone, @DefaultValue("5s") Duration ttl, @DefaultValue("2") int udpThreads,
            @DefaultValue("true") boolean tcp, @DefaultValue("10s") Duration tcpIdleTimeout,
            @Nullable Map<String, List<String>> regionAddresses) {
    }
}
