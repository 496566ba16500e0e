package io.meridian.routing.engine;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RuleType;

/**
 * An operator's routing policy for one service, validated (see {@link PolicyValidator}).
 *
 * @param service        the service, a DNS label ({@code checkout}); also its DNS name under the zone
 * @param description    what it is for
 * @param regions        the regions the service runs in; every other region named must be one of them
 * @param residencyZones zones the service's data is tagged for (empty: untagged)
 * @param rules          ordered rules; the first that yields a region decides
 * @param fallback       regions to use, in order, when no rule decides
 */
public record RoutingPolicy(String service, @Nullable String description, List<RegionId> regions, Set<ResidencyZone> residencyZones,
        List<Rule> rules, List<RegionId> fallback) {

    public RoutingPolicy {
        regions = List.copyOf(regions);
        residencyZones = Set.copyOf(residencyZones);
        rules = List.copyOf(rules);
        fallback = List.copyOf(fallback);
    }

    /**
     * One rule.
     *
     * @param type             what kind
     * @param healthThreshold  minimum health score (0-1) of a region this rule picks; null: the configured default
     * @param maxLatencyMillis LATENCY only: the bound, or null for none
     * @param countries        GEOGRAPHIC only: ISO country to regions
     * @param zones            GEOGRAPHIC only: the client's residency zone to regions
     * @param weights          WEIGHTED only: region to weight in per mille (0.1 % steps), summing to 1000
     * @param minHealthyWeight WEIGHTED only: per mille of weight that must be healthy for the rule to decide
     */
    public record Rule(RuleType type, @Nullable Double healthThreshold, @Nullable Double maxLatencyMillis,
            Map<String, List<RegionId>> countries, Map<ResidencyZone, List<RegionId>> zones, Map<RegionId, Integer> weights,
            int minHealthyWeight) {

        public Rule {
            countries = Map.copyOf(countries);
            zones = Map.copyOf(zones);
            weights = Map.copyOf(weights);
        }

        /** Every region the rule names. */
        public Stream<RegionId> namedRegions() {
            return Stream.of(countries.values().stream().flatMap(List::stream), zones.values().stream().flatMap(List::stream),
                    weights.keySet().stream()).flatMap(s -> s);
        }
    }

    /** Every region the policy names anywhere (its regions, the rules, the fallback chain). */
    public Set<RegionId> namedRegions() {
        return Stream.of(regions.stream(), rules.stream().flatMap(Rule::namedRegions), fallback.stream()).flatMap(s -> s)
                .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }
}
