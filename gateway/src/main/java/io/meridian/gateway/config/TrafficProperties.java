package io.meridian.gateway.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import io.meridian.common.region.ResidencyZone;

/**
 * Live traffic: which hosts carry which routed service, where each region's upstream is, whom to
 * trust for the client address, and how failures are handled.
 *
 * @param routes             host names of routed services; a request whose {@code Host} is one of them is live traffic
 * @param defaultService     the routed service for requests to the gateway's own address (an IP literal, {@code localhost}
 *                           or a {@code control-hosts} name) outside the control paths; none by default
 * @param controlHosts       host names that reach the control-plane front door besides IP literals and {@code localhost}
 * @param upstreams          base URL of each region's upstream ({@code http://10.1.0.7:8080}), by region id; a region
 *                           without one is reached at its first table address on {@code upstream-port}
 * @param upstreamPort       port used with a region's table address when {@code upstreams} has no entry for it
 * @param trustedProxies     addresses and CIDR blocks ({@code 10.0.0.0/8}, {@code ::1}) whose {@code X-Forwarded-For}
 *                           entries are believed; the client is the rightmost address not in this list
 * @param residencyHeader    request header that tags a request for a residency zone ({@code EU}); never forwarded outside it
 * @param stickyCookie       cookie that keeps a session in its region; empty disables stickiness
 * @param connectTimeout     how long to wait for a TCP connection to an upstream before trying the next region
 * @param responseTimeout    how long to wait for an upstream's response before giving up (and, for idempotent
 *                           methods, trying the next region)
 * @param maxBodySize        largest request body accepted for live traffic (413 beyond it, declared or streamed)
 * @param maxConnections     connections at most to each upstream; the Netty path splits them evenly over its event loops
 *                           (rounded up), and a request that finds all of its loop's busy waits up to {@code connect-timeout}
 *                           for one, then goes to the next region (not counted against the busy one's breaker)
 * @param stateDirectory     where the last known good routing tables are kept
 * @param geoipDatabase      MaxMind City database for client locations; missing: every client gets the default location
 * @param defaultCountry     country assumed for private, unknown and malformed client addresses
 * @param defaultLatitude    latitude assumed for them
 * @param defaultLongitude   longitude assumed for them
 * @param breaker            the circuit breaker each region's upstream gets
 * @param outliers           passive health (outlier detection) published to the control plane
 * @param fastPath           serve live traffic with plain Netty handlers in the server pipeline and pooled Netty upstream
 *                           channels on the same event loop ({@code LiveConnection}); false: the Reactor Netty decorator
 *                           ({@code LiveTraffic}) serves it all
 * @param dnsServers         DNS servers ({@code 10.0.0.2} or {@code 10.0.0.2:5353}) that resolve upstream host names on both
 *                           paths, without blocking an event loop and within each answer's TTL; empty: the system's
 *                           ({@code /etc/resolv.conf}); {@code /etc/hosts} is read first either way; IP literals are never looked up
 * @param replayBufferSize   request bodies up to this size are kept while they stream upstream, so that a retry in the next
 *                           region can send them again; a larger body is streamed without a copy and is not retried once sent
 */
@ConfigurationProperties("meridian.gateway.traffic")
public record TrafficProperties(@Nullable List<Route> routes, @Nullable String defaultService, @Nullable List<String> controlHosts,
        @Nullable Map<String, URI> upstreams, @DefaultValue("80") int upstreamPort, @Nullable List<String> trustedProxies,
        @DefaultValue("X-Meridian-Residency") String residencyHeader, @DefaultValue("meridian-session") String stickyCookie,
        @DefaultValue("1s") Duration connectTimeout, @DefaultValue("10s") Duration responseTimeout,
        @DefaultValue("10MB") DataSize maxBodySize, @DefaultValue("1000") int maxConnections, Path stateDirectory,
        @Nullable Path geoipDatabase, @DefaultValue("US") String defaultCountry, @DefaultValue("39.04") double defaultLatitude,
        @DefaultValue("-77.49") double defaultLongitude, @DefaultValue Breaker breaker, @DefaultValue Outliers outliers,
        @DefaultValue("true") boolean fastPath, @DefaultValue("64KB") DataSize replayBufferSize, @Nullable List<String> dnsServers) {

    public TrafficProperties {
        routes = routes == null ? List.of() : List.copyOf(routes);
        controlHosts = controlHosts == null ? List.of() : List.copyOf(controlHosts);
        upstreams = upstreams == null ? Map.of() : Map.copyOf(upstreams);
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        dnsServers = dnsServers == null ? List.of() : List.copyOf(dnsServers);
        for (String server : dnsServers) {
            dnsServer(server); // refused at start-up, naming the property, rather than at the first lookup
        }
        if (defaultService != null && defaultService.isBlank()) {
            defaultService = null;
        }
        upstreams.forEach((region, uri) -> {
            if (!uri.isAbsolute() || uri.getHost() == null || !"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("meridian.gateway.traffic.upstreams." + region + " must be an absolute http(s) URL");
            }
        });
    }

    /** {@code dns-servers} as addresses (checked at start-up already). */
    public List<java.net.InetSocketAddress> dnsServerAddresses() {
        return dnsServers.stream().map(TrafficProperties::dnsServer).toList();
    }

    /** A {@code dns-servers} entry as an address: an IP literal ({@code [v6]} with a port), port 53 unless given. */
    public static java.net.InetSocketAddress dnsServer(String entry) {
        String text = entry.strip();
        String host = text;
        int port = 53;
        int colon = text.lastIndexOf(':');
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            host = close < 0 ? "" : text.substring(1, close);
            if (close >= 0 && close + 1 < text.length()) {
                port = colon == close + 1 ? parsePort(entry, text.substring(colon + 1)) : -1;
            }
        } else if (colon >= 0 && text.indexOf(':') == colon) {
            host = text.substring(0, colon);
            port = parsePort(entry, text.substring(colon + 1));
        }
        if (port < 1 || port > 65535 || !io.netty.util.NetUtil.isValidIpV4Address(host) && !io.netty.util.NetUtil.isValidIpV6Address(host)) {
            throw new IllegalArgumentException("meridian.gateway.traffic.dns-servers: '" + entry + "' is not an IP address with an optional port");
        }
        return new java.net.InetSocketAddress(io.netty.util.NetUtil.createInetAddressFromIpAddressString(host), port);
    }

    private static int parsePort(String entry, String port) {
        try {
            return Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("meridian.gateway.traffic.dns-servers: '" + entry + "' has no valid port", e);
        }
    }

    /**
     * A host carrying a routed service.
     *
     * @param host    the host name (without port), matched case-insensitively
     * @param service the routed service (its routing table's name)
     * @param zone    residency zone every request to this host is tagged for; requests never leave it
     */
    public record Route(String host, String service, @Nullable ResidencyZone zone) {
    }

    /**
     * The circuit breaker of each region's upstream (resilience4j, count-based window).
     *
     * @param failureRateThreshold percentage of failed calls in the window that opens the circuit
     * @param slidingWindowSize    calls the failure rate is computed over
     * @param minimumCalls         calls needed before the rate counts
     * @param waitInOpenState      how long an open circuit sends nothing before letting trial calls through
     * @param halfOpenCalls        trial calls in the half-open state; all must succeed to close again
     */
    public record Breaker(@DefaultValue("50") float failureRateThreshold, @DefaultValue("20") int slidingWindowSize,
            @DefaultValue("5") int minimumCalls, @DefaultValue("5s") Duration waitInOpenState, @DefaultValue("3") int halfOpenCalls) {
    }

    /**
     * Passive health observations from live traffic, in the manner of Envoy's outlier detection.
     *
     * @param consecutiveFailures failures in a row (connect errors, timeouts, 5xx) after which the region is reported unhealthy
     * @param interval            how often each region's traffic summary is published
     * @param observer            the observer name in published observations ({@code gateway@eu-west-1})
     */
    public record Outliers(@DefaultValue("5") int consecutiveFailures, @DefaultValue("10s") Duration interval,
            @DefaultValue("gateway") String observer) {
    }
}
