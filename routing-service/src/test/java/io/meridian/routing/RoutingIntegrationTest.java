package io.meridian.routing;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.EventPublisher;
import io.meridian.testsupport.GeoIpDatabase;
import io.meridian.stack.Ports;
import io.meridian.testsupport.ServiceIntegrationTest;

/**
 * Base of routing-service's {@code @SpringBootTest}s: the shared real PostgreSQL and Kafka, the real
 * GeoLite2 City database, and the DNS endpoint on a free port. Every subclass gets the same
 * configuration, so one application context serves them all. Subclasses run on a random port
 * ({@code @SpringBootTest(webEnvironment = RANDOM_PORT)}) and reach it through {@link #fixtures()}.
 */
public abstract class RoutingIntegrationTest extends ServiceIntegrationTest {

    @LocalServerPort
    protected int port;
    @Autowired
    protected EventPublisher events;
    @Autowired
    protected HybridLogicalClock clock;

    /** The DNS endpoint's UDP and TCP port in tests. */
    protected static final int DNS_PORT = Ports.freePort();

    @DynamicPropertySource
    static void routing(DynamicPropertyRegistry registry) {
        registry.add("meridian.routing.geoip.database", () -> GeoIpDatabase.path().toString());
        registry.add("meridian.routing.dns.port", () -> DNS_PORT);
        registry.add("meridian.routing.dns.zone", () -> "svc.meridian.test.");
        registry.add("meridian.routing.policy-refresh", () -> "1s");
    }

    /** Publishes inputs on the real topics and calls this application's HTTP API. */
    protected RoutingFixtures fixtures() {
        return new RoutingFixtures(events, clock, port);
    }
}
