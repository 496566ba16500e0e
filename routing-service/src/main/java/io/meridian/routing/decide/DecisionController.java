package io.meridian.routing.decide;

import java.util.List;

import jakarta.servlet.http.HttpServletRequest;

import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.geo.IpLiterals;
import io.meridian.routing.table.RoutingTables;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code /api/v1/routing/decide} and the compiled tables. */
@RestController
@Tag(name = "decisions", description = "Routing decisions and the compiled routing tables")
class DecisionController {

    private final RoutingEngine engine;
    private final RoutingTables tables;

    DecisionController(RoutingEngine engine, RoutingTables tables) {
        this.engine = engine;
        this.tables = tables;
    }

    @GetMapping("/api/v1/routing/decide")
    @Operation(summary = "Where a client goes for a service: target region, ordered fallbacks, the deciding rule and why. "
            + "Without clientIp, the caller's own address is used")
    RoutingDecision decide(@RequestParam(required = false) @Nullable String service, @RequestParam(required = false) @Nullable String clientIp,
            HttpServletRequest request) {
        if (service == null || service.isBlank()) {
            throw new InvalidFieldException("service", "must be present: the service to route");
        }
        String client = clientIp == null ? request.getRemoteAddr() : clientIp.trim();
        if (IpLiterals.parse(client) == null) {
            throw new InvalidFieldException("clientIp", "'" + abbreviate(client) + "' is not an IPv4 or IPv6 address");
        }
        return engine.decide(service, client, true);
    }

    @GetMapping("/api/v1/routing/tables")
    @Operation(summary = "The current compiled routing table of every service (as published on meridian.routing-table)")
    List<RoutingTable> tables() {
        return tables.tables();
    }

    @GetMapping("/api/v1/routing/tables/{service}")
    @Operation(summary = "The current compiled routing table of one service")
    RoutingTable table(@PathVariable String service) {
        return tables.decider(service).orElseThrow(() -> MeridianException.notFound("routing table", service)).table();
    }

    private static String abbreviate(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }
}
