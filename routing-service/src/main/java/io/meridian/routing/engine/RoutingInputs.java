package io.meridian.routing.engine;

import java.util.List;
import java.util.Map;
import java.util.Set;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;

/**
 * Everything but the policy that a routing table is compiled from, at one moment.
 *
 * @param regions         the registered regions
 * @param healthScores    health score per region (0-1, two decimals); missing means 1
 * @param fenced          regions a failover took out of traffic
 * @param addresses       the IP literals live traffic for each region goes to
 * @param countryZones    ISO country to residency zone
 * @param countryRegions  ISO country to preferred regions
 * @param measuredRtt     measured client round trips: country, then region id, in milliseconds
 * @param healthThreshold the default health threshold
 */
public record RoutingInputs(Map<RegionId, Region> regions, Map<RegionId, Double> healthScores, Set<RegionId> fenced,
        Map<RegionId, List<String>> addresses, Map<String, ResidencyZone> countryZones, Map<String, List<RegionId>> countryRegions,
        Map<String, Map<String, Double>> measuredRtt, double healthThreshold) {
}
