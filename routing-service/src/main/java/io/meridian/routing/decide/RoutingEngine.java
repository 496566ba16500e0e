package io.meridian.routing.decide;

import java.util.EnumMap;
import java.util.Map;

import org.springframework.stereotype.Service;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.geo.GeoIpLocator;
import io.meridian.routing.table.RoutingTables;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** Decides for one client and service: locate the client (GeoIP), then the service's current table decides. */
@Service
public class RoutingEngine {

    private final RoutingTables tables;
    private final GeoIpLocator geoIp;
    private final Map<RoutingDecision.DecidedBy, Counter> decisions = new EnumMap<>(RoutingDecision.DecidedBy.class);

    RoutingEngine(RoutingTables tables, GeoIpLocator geoIp, MeterRegistry meters) {
        this.tables = tables;
        this.geoIp = geoIp;
        for (RoutingDecision.DecidedBy by : RoutingDecision.DecidedBy.values()) {
            decisions.put(by, Counter.builder("meridian.routing.decisions").description("Routing decisions made through the API")
                    .tag("decided_by", by.name()).tag("outcome", by == RoutingDecision.DecidedBy.RESIDENCY_REFUSAL
                            || by == RoutingDecision.DecidedBy.NO_HEALTHY_REGION ? "refused" : "routed").register(meters));
        }
    }

    /**
     * The decision for {@code service} and the client at {@code clientIp} (an IP literal); 404 for a service
     * without a policy, 503 before the inputs are read.
     */
    public RoutingDecision decide(String service, String clientIp, boolean explain) {
        RoutingDecider decider = decider(service);
        GeoIpLocator.Located located = geoIp.locate(clientIp);
        RoutingDecision decision = decider.decide(located.location(), located.placeId(), located.clientKey(), explain);
        decisions.get(decision.decidedBy()).increment();
        return decision;
    }

    /** The decision for a client already located, with its stickiness key. */
    public RoutingDecision decide(String service, ClientLocation client, long clientKey, boolean explain) {
        return decider(service).decide(client, clientKey, explain);
    }

    private RoutingDecider decider(String service) {
        if (!tables.ready()) {
            throw new MeridianException(ProblemTypes.UNAVAILABLE, 503, "Routing not ready",
                    "routing-service is still reading its inputs (region registry, policies); retry shortly");
        }
        return tables.decider(service).orElseThrow(() -> new MeridianException(ProblemTypes.NOT_FOUND, 404, "Service not routed",
                "No routing policy for service '" + service + "'").with("service", service));
    }
}
