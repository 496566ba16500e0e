package io.meridian.routing.table;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * Readiness of routing: up once the region registry, policies and latencies were read and every table
 * compiled. Until then decisions answer 503 and DNS SERVFAIL; part of the readiness group.
 */
@Component("routing")
class RoutingReadiness extends AbstractHealthIndicator {

    private final RoutingTables tables;

    RoutingReadiness(RoutingTables tables) {
        super("Routing readiness check failed");
        this.tables = tables;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        if (tables.ready()) {
            builder.up().withDetail("services", tables.tables().size());
        } else {
            builder.outOfService().withDetail("reason", "reading the region registry and policies");
        }
    }
}
