package io.meridian.gateway.config;

import java.util.Map;

import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.cloud.gateway.route.builder.RouteLocatorBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The control-plane front door: each {@code /api/v1/**} area goes to the service that owns it, and
 * each service's OpenAPI document is served at {@code /v3/api-docs/<service>} for the gateway's
 * Swagger UI. Authentication is enforced here and again in every service.
 */
@Configuration(proxyBeanMethods = false)
class ControlApiRoutes {

    /** Path patterns by owning service, as DESIGN.md assigns the APIs. */
    static final Map<String, String[]> PATHS = Map.of(
            "region", new String[] {"/api/v1/regions", "/api/v1/regions/**", "/api/v1/placements/**", "/api/v1/placements",
                "/api/v1/deployments", "/api/v1/deployments/**", "/api/v1/rollouts", "/api/v1/rollouts/**"},
            "routing", new String[] {"/api/v1/routing/**"},
            "replication", new String[] {"/api/v1/replication/**"},
            "failover", new String[] {"/api/v1/failover/**"},
            "backup", new String[] {"/api/v1/backups", "/api/v1/backups/**", "/api/v1/restores", "/api/v1/restores/**"});

    @Bean
    RouteLocator controlApiRouteLocator(RouteLocatorBuilder builder, GatewayProperties properties) {
        RouteLocatorBuilder.Builder routes = builder.routes();
        PATHS.forEach((service, paths) -> {
            String upstream = properties.services().get(service).toString();
            routes.route(service + "-api", route -> route.path(paths).uri(upstream));
            routes.route(service + "-api-docs", route -> route.path("/v3/api-docs/" + service)
                    .filters(filter -> filter.setPath("/v3/api-docs"))
                    .uri(upstream));
        });
        return routes.build();
    }
}
