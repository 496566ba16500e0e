package io.meridian.routing;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.meridian.testsupport.GeoIpDatabase;
import io.meridian.stack.Ports;
import io.meridian.testsupport.ServiceIntegrationTest;

/**
 * Base of routing-service's {@code @SpringBootTest}s: the shared real PostgreSQL and Kafka, the real
 * GeoLite2 City database, and the DNS endpoint on a free port. Every subclass gets the same
 * configuration, so one application context serves them all.
 */
public abstract class RoutingIntegrationTest extends ServiceIntegrationTest {

    /** The DNS endpoint's UDP and TCP port in tests. */
    protected static final int DNS_PORT = Ports.freePort();

    @DynamicPropertySource
    static void routing(DynamicPropertyRegistry registry) {
        registry.add("meridian.routing.geoip.database", () -> GeoIpDatabase.path().toString());
        registry.add("meridian.routing.dns.port", () -> DNS_PORT);
        registry.add("meridian.routing.dns.zone", () -> "svc.meridian.test.");
        registry.add("meridian.routing.policy-refresh", () -> "1s");
    }
}
