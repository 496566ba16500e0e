package io.meridian.common.routing;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;

/**
 * The compiled routing of one service: its policy with every input resolved (regions with their zone,
 * location, status, health and addresses; the country maps; measured latencies), so that a consumer
 * decides locally with {@link RoutingDecider} and nothing else. Data of every
 * {@code meridian.routing.table-compiled.v1} event on the compacted {@code meridian.routing-table}
 * topic, keyed by service; the event's {@code entityversion} is {@link #version}. A tombstone removes
 * the service (its policy was deleted).
 *
 * <p>A consumer keeps the newest version per service and its last known good table when the
 * control plane is unreachable (static stability).
 *
 * @param service           the routed service (a DNS label)
 * @param version           increases with every publication for this service (a hybrid logical timestamp, packed)
 * @param compiledAt        when it was compiled
 * @param policyVersion     version of the operator's policy it was compiled from
 * @param residencyZones    zones the service's data is tagged for; empty when untagged. A client in one of them
 *                          is routed only within its own zone; any other client only within these zones
 * @param regions           the regions the service runs in, sorted by id, with their state at compile time
 * @param rules             the policy's rules, in order; the first that yields a region decides
 * @param fallback          regions to use, in order, when no rule decides (then the nearest healthy region)
 * @param countryZones      ISO country code to residency zone (configuration)
 * @param countryRegions    ISO country code to preferred regions, for {@link RuleType#GEOGRAPHIC} rules without their own map
 * @param measuredRttMillis measured round-trip times from a country's clients to a region (country, then region id);
 *                          pairs without a measurement use the great-circle estimate
 * @param healthThreshold   minimum health score (0-1) for a region to count as healthy in fallbacks and safety checks
 */
public record RoutingTable(String service, long version, Instant compiledAt, long policyVersion, Set<ResidencyZone> residencyZones,
        List<RegionEntry> regions, List<Rule> rules, List<RegionId> fallback, Map<String, ResidencyZone> countryZones,
        Map<String, List<RegionId>> countryRegions, Map<String, Map<String, Double>> measuredRttMillis, double healthThreshold) {

    public RoutingTable {
        residencyZones = residencyZones == null ? Set.of() : Set.copyOf(residencyZones);
        regions = List.copyOf(regions);
        rules = List.copyOf(rules);
        fallback = fallback == null ? List.of() : List.copyOf(fallback);
        countryZones = countryZones == null ? Map.of() : Map.copyOf(countryZones);
        countryRegions = countryRegions == null ? Map.of() : Map.copyOf(countryRegions);
        measuredRttMillis = measuredRttMillis == null ? Map.of() : Map.copyOf(measuredRttMillis);
    }

    /** This table with another version and compile time (the content is unchanged). */
    public RoutingTable withVersion(long newVersion, Instant at) {
        return new RoutingTable(service, newVersion, at, policyVersion, residencyZones, regions, rules, fallback, countryZones,
                countryRegions, measuredRttMillis, healthThreshold);
    }

    /** Whether {@code other} routes exactly as this one does (everything but version and compile time equal). */
    public boolean sameRoutingAs(RoutingTable other) {
        return withVersion(0, Instant.EPOCH).equals(other.withVersion(0, Instant.EPOCH));
    }

    /**
     * One region as the table sees it.
     *
     * @param id          the region
     * @param zone        its residency zone
     * @param latitude    degrees north
     * @param longitude   degrees east
     * @param status      its registry status; only {@link RegionStatus#acceptsNewTraffic()} states take new clients
     * @param fenced      taken out of traffic by a failover (fenced, promoted away from, or halted)
     * @param healthScore observed health, 0 (every recent observation failed) to 1 (all healthy); two decimals
     * @param addresses   IP literals live traffic for the region goes to (DNS A/AAAA answers)
     */
    public record RegionEntry(RegionId id, ResidencyZone zone, double latitude, double longitude, RegionStatus status, boolean fenced,
            double healthScore, List<String> addresses) {

        public RegionEntry {
            addresses = addresses == null ? List.of() : List.copyOf(addresses);
        }

        /** Whether the region may take new clients at all. */
        public boolean serving() {
            return status.acceptsNewTraffic() && !fenced;
        }

        /** Whether the region serves and its health score reaches {@code threshold}. */
        public boolean healthy(double threshold) {
            return serving() && healthScore >= threshold;
        }
    }

    /**
     * One compiled rule.
     *
     * @param type             what kind of rule
     * @param healthThreshold  regions below this health score are skipped by this rule
     * @param maxLatencyMillis for {@link RuleType#LATENCY}: regions slower than this are skipped; null for no bound
     * @param countries        for {@link RuleType#GEOGRAPHIC}: the rule's own country map, consulted first
     * @param zones            for {@link RuleType#GEOGRAPHIC}: residency zone of the client's country to regions, consulted
     *                         next; then the table's {@link RoutingTable#countryRegions}
     * @param weights          for {@link RuleType#WEIGHTED}: region id to weight in per mille (0.1 % steps), summing to 1000
     * @param minHealthyWeight for {@link RuleType#WEIGHTED}: the rule passes when the healthy regions' weights sum to less
     *                         than this (per mille), so that a small canary never takes all traffic alone
     */
    public record Rule(RuleType type, double healthThreshold, @Nullable Double maxLatencyMillis, Map<String, List<RegionId>> countries,
            Map<String, List<RegionId>> zones, Map<String, Integer> weights, int minHealthyWeight) {

        public Rule {
            countries = countries == null ? Map.of() : Map.copyOf(countries);
            zones = zones == null ? Map.of() : Map.copyOf(zones);
            weights = weights == null ? Map.of() : Map.copyOf(weights);
        }
    }
}
