package io.meridian.routing.engine;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.routing.RoutingTable;

/**
 * Compiles a policy and the current inputs into a {@link RoutingTable}: the policy's registered regions
 * with their zone, location, status, health, fencing and addresses; its rules with defaults filled in;
 * and the country maps and measured latencies narrowed to its regions. Pure: the version is set by
 * whoever publishes.
 */
public final class TableCompiler {

    private TableCompiler() {
    }

    /** The table of {@code stored} under {@code inputs}, at version 0. */
    public static RoutingTable compile(StoredPolicy stored, RoutingInputs inputs) {
        RoutingPolicy policy = stored.policy();
        List<RoutingTable.RegionEntry> regions = new ArrayList<>();
        for (RegionId id : policy.regions().stream().sorted().toList()) {
            Region region = inputs.regions().get(id);
            if (region == null) {
                continue; // removed from the registry since the policy was written
            }
            regions.add(new RoutingTable.RegionEntry(id, region.zone(), region.location().latitude(), region.location().longitude(),
                    region.status(), inputs.fenced().contains(id), inputs.healthScores().getOrDefault(id, 1.0),
                    inputs.addresses().getOrDefault(id, List.of())));
        }
        List<RoutingTable.Rule> rules = policy.rules().stream().map(rule -> new RoutingTable.Rule(rule.type(),
                rule.healthThreshold() == null ? inputs.healthThreshold() : rule.healthThreshold(), rule.maxLatencyMillis(),
                rule.countries(), zones(rule), weights(rule), rule.minHealthyWeight())).toList();
        Map<String, List<RegionId>> countryRegions = new TreeMap<>();
        inputs.countryRegions().forEach((country, ids) -> {
            List<RegionId> own = ids.stream().filter(policy.regions()::contains).toList();
            if (!own.isEmpty()) {
                countryRegions.put(country, own);
            }
        });
        Map<String, Map<String, Double>> measured = new TreeMap<>();
        inputs.measuredRtt().forEach((country, byRegion) -> {
            Map<String, Double> own = new TreeMap<>();
            byRegion.forEach((region, rtt) -> {
                if (RegionId.isValid(region) && policy.regions().contains(RegionId.of(region))) {
                    own.put(region, rtt);
                }
            });
            if (!own.isEmpty()) {
                measured.put(country, own);
            }
        });
        return new RoutingTable(policy.service(), 0, Instant.EPOCH, stored.version(), policy.residencyZones(), regions, rules,
                policy.fallback(), inputs.countryZones(), countryRegions, measured, inputs.healthThreshold());
    }

    private static Map<String, List<RegionId>> zones(RoutingPolicy.Rule rule) {
        Map<String, List<RegionId>> zones = new LinkedHashMap<>();
        rule.zones().forEach((zone, ids) -> zones.put(zone.name(), ids));
        return zones;
    }

    private static Map<String, Integer> weights(RoutingPolicy.Rule rule) {
        Map<String, Integer> weights = new LinkedHashMap<>();
        rule.weights().forEach((id, weight) -> weights.put(id.value(), weight));
        return weights;
    }
}
