package io.meridian.gateway.config;

import java.net.URI;
import java.util.Map;
import java.util.Set;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Gateway settings.
 *
 * @param services          base URL of each control-plane service, by short name: {@code region},
 *                          {@code routing}, {@code replication}, {@code failover}, {@code backup}
 * @param maxRequestSize    largest control-API request body accepted at the edge
 * @param issuer            issuer ({@code iss}) bearer tokens must carry
 * @param audience          audience ({@code aud}) bearer tokens must include
 * @param rateLimit         per-token rate limit on the control APIs
 */
@ConfigurationProperties("meridian.gateway")
public record GatewayProperties(Map<String, URI> services, @DefaultValue("1MB") DataSize maxRequestSize,
        @DefaultValue("https://meridian.local/dev") String issuer, @DefaultValue("meridian") String audience, @DefaultValue RateLimit rateLimit) {

    /**
     * Per-token rate limit on the control APIs ({@code /api/**}), a token bucket per bearer token.
     *
     * @param requestsPerSecond sustained requests per second per token; 0 disables the limit
     * @param burst             requests a token may make at once before the sustained rate applies
     */
    public record RateLimit(@DefaultValue("50") double requestsPerSecond, @DefaultValue("100") int burst) {
    }

    /** The service names the control-API routes need. */
    public static final Set<String> REQUIRED = Set.of("region", "routing", "replication", "failover", "backup");

    public GatewayProperties {
        services = services == null ? Map.of() : Map.copyOf(services);
        for (String name : REQUIRED) {
            URI uri = services.get(name);
            if (uri == null || !uri.isAbsolute() || uri.getHost() == null) {
                throw new IllegalArgumentException("meridian.gateway.services." + name + " must be an absolute URL with a host");
            }
        }
    }
}
