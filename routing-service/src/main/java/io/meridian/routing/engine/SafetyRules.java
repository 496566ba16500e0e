package io.meridian.routing.engine;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingTable;

/**
 * Safety rules every operator change to routing passes before it is applied, in the manner of AWS
 * Route 53 Application Recovery Controller's assertion rules. A change is rejected (409, type
 * {@code routing-safety-violation}, naming the rule and the regions) when the state after it would:
 * <ul>
 *   <li>{@value #OUT_OF_ZONE}: let a zone-tagged service name a region outside its zones;</li>
 *   <li>{@value #NO_HEALTHY_REGION}: leave the service without a healthy region, or leave one of its
 *       residency zones without one (that zone's clients would be refused).</li>
 * </ul>
 * A rule the current state already breaks does not block a change that keeps breaking it the same way,
 * so that operators can still repair a service during an outage.
 */
public final class SafetyRules {

    /** Problem type of a rejected change. */
    public static final URI PROBLEM = ProblemTypes.of("routing-safety-violation");
    /** Rule: a zone-tagged service stays in its zones. */
    public static final String OUT_OF_ZONE = "out-of-zone";
    /** Rule: a service keeps a healthy region (in each of its zones). */
    public static final String NO_HEALTHY_REGION = "no-healthy-region";

    /**
     * One broken rule.
     *
     * @param rule    which rule
     * @param message why
     * @param regions the regions concerned
     */
    public record Violation(String rule, String message, List<String> regions) {
    }

    private SafetyRules() {
    }

    /** The rules {@code candidate} breaks that {@code current} (the state before the change, if any) did not. */
    public static List<Violation> check(RoutingPolicy policy, RoutingTable candidate, Map<RegionId, Region> registry,
            @Nullable RoutingPolicy currentPolicy, @Nullable RoutingTable current) {
        List<Violation> violations = new ArrayList<>(violations(policy, candidate, registry));
        if (currentPolicy != null && current != null) {
            Set<String> already = new TreeSet<>();
            violations(currentPolicy, current, registry).forEach(v -> already.add(v.rule() + v.message()));
            violations.removeIf(v -> already.contains(v.rule() + v.message()));
        }
        return violations;
    }

    /** Throws the 409 problem for {@code violations}, if there are any. */
    public static void enforce(String service, List<Violation> violations) {
        if (violations.isEmpty()) {
            return;
        }
        Violation first = violations.getFirst();
        throw new MeridianException(PROBLEM, 409, "Rejected by a routing safety rule",
                "The change to " + service + " was not applied: " + String.join("; ", violations.stream().map(Violation::message).toList()))
                .with("safetyRule", first.rule())
                .with("violations", violations.stream().map(v -> Map.of("rule", v.rule(), "message", v.message(), "regions", v.regions()))
                        .toList());
    }

    private static List<Violation> violations(RoutingPolicy policy, RoutingTable table, Map<RegionId, Region> registry) {
        List<Violation> violations = new ArrayList<>();
        Set<ResidencyZone> zones = policy.residencyZones();
        if (!zones.isEmpty()) {
            List<String> outside = policy.namedRegions().stream()
                    .filter(id -> registry.containsKey(id) && !zones.contains(registry.get(id).zone()))
                    .map(id -> id + " (" + registry.get(id).zone() + ")").toList();
            if (!outside.isEmpty()) {
                violations.add(new Violation(OUT_OF_ZONE, policy.service() + " is tagged for " + sorted(zones)
                        + " but names regions outside: " + String.join(", ", outside), outside.stream().map(s -> s.substring(0, s.indexOf(' '))).toList()));
            }
        }
        double threshold = table.healthThreshold();
        List<RoutingTable.RegionEntry> healthy = table.regions().stream().filter(r -> r.healthy(threshold)).toList();
        if (healthy.isEmpty()) {
            violations.add(new Violation(NO_HEALTHY_REGION, policy.service() + " would have no healthy region (of "
                    + table.regions().stream().map(r -> r.id() + " " + state(r)).toList() + ")",
                    table.regions().stream().map(r -> r.id().value()).toList()));
        } else {
            for (ResidencyZone zone : zones) {
                if (healthy.stream().noneMatch(r -> r.zone() == zone)) {
                    List<String> inZone = table.regions().stream().filter(r -> r.zone() == zone).map(r -> r.id().value()).toList();
                    violations.add(new Violation(NO_HEALTHY_REGION, policy.service() + " would have no healthy region in zone " + zone
                            + ", so its clients there would be refused" + (inZone.isEmpty() ? " (it names none there)" : " (" + inZone + ")"),
                            inZone));
                }
            }
        }
        return violations;
    }

    private static String state(RoutingTable.RegionEntry region) {
        return region.fenced() ? "fenced" : region.status() + ", health " + region.healthScore();
    }

    private static List<String> sorted(Set<ResidencyZone> zones) {
        return zones.stream().map(Enum::name).sorted().toList();
    }
}
