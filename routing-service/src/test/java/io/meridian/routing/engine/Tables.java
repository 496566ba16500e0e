package io.meridian.routing.engine;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;

/** Test fixtures: regions like the local stack's, clients at known places, tables built rule by rule. */
final class Tables {

    static final RegionId US_EAST = RegionId.of("us-east-1");
    static final RegionId US_WEST = RegionId.of("us-west-2");
    static final RegionId EU_WEST = RegionId.of("eu-west-1");
    static final RegionId EU_CENTRAL = RegionId.of("eu-central-1");
    static final RegionId AP_NORTHEAST = RegionId.of("ap-northeast-1");

    static final ClientLocation NEW_YORK = client("US", 40.71, -74.01);
    static final ClientLocation SEATTLE = client("US", 47.61, -122.33);
    static final ClientLocation BERLIN = client("DE", 52.52, 13.40);
    static final ClientLocation PARIS = client("FR", 48.86, 2.35);
    static final ClientLocation TOKYO = client("JP", 35.68, 139.69);
    static final ClientLocation SYDNEY = client("AU", -33.87, 151.21);
    static final ClientLocation LONDON = client("GB", 51.51, -0.13);

    static final Map<String, ResidencyZone> COUNTRY_ZONES = Map.of("US", ResidencyZone.US, "DE", ResidencyZone.EU, "FR", ResidencyZone.EU,
            "IE", ResidencyZone.EU, "JP", ResidencyZone.APAC, "AU", ResidencyZone.APAC, "GB", ResidencyZone.UK);

    private Tables() {
    }

    static ClientLocation client(String country, double latitude, double longitude) {
        return new ClientLocation("198.51.100.7", country, latitude, longitude, ClientLocation.Source.GEOIP);
    }

    static RoutingTable.RegionEntry region(RegionId id, RegionStatus status, double health) {
        return switch (id.value()) {
            case "us-east-1" -> new RoutingTable.RegionEntry(id, ResidencyZone.US, 38.9, -77.4, status, false, health, List.of("192.0.2.1"));
            case "us-west-2" -> new RoutingTable.RegionEntry(id, ResidencyZone.US, 45.6, -121.2, status, false, health, List.of("192.0.2.2"));
            case "eu-west-1" -> new RoutingTable.RegionEntry(id, ResidencyZone.EU, 53.35, -6.26, status, false, health,
                    List.of("192.0.2.3", "2001:db8::3"));
            case "eu-central-1" -> new RoutingTable.RegionEntry(id, ResidencyZone.EU, 50.11, 8.68, status, false, health, List.of("192.0.2.5"));
            case "ap-northeast-1" -> new RoutingTable.RegionEntry(id, ResidencyZone.APAC, 35.68, 139.69, status, false, health,
                    List.of("192.0.2.4"));
            default -> throw new IllegalArgumentException(id.value());
        };
    }

    static RoutingTable.RegionEntry healthy(RegionId id) {
        return region(id, RegionStatus.ACTIVE, 1.0);
    }

    static RoutingTable.RegionEntry fenced(RegionId id) {
        RoutingTable.RegionEntry r = healthy(id);
        return new RoutingTable.RegionEntry(r.id(), r.zone(), r.latitude(), r.longitude(), r.status(), true, r.healthScore(), r.addresses());
    }

    static RoutingTable.Rule rule(RuleType type) {
        return new RoutingTable.Rule(type, 0.5, null, Map.of(), Map.of(), Map.of(), 0);
    }

    static RoutingTable.Rule latency(double max) {
        return new RoutingTable.Rule(RuleType.LATENCY, 0.5, max, Map.of(), Map.of(), Map.of(), 0);
    }

    static RoutingTable.Rule health(double threshold) {
        return new RoutingTable.Rule(RuleType.HEALTH, threshold, null, Map.of(), Map.of(), Map.of(), 0);
    }

    static RoutingTable.Rule geographic(Map<String, List<RegionId>> countries, Map<String, List<RegionId>> zones) {
        return new RoutingTable.Rule(RuleType.GEOGRAPHIC, 0.5, null, countries, zones, Map.of(), 0);
    }

    static RoutingTable.Rule weighted(Map<String, Integer> perMille, int minHealthyWeight) {
        return new RoutingTable.Rule(RuleType.WEIGHTED, 0.5, null, Map.of(), Map.of(), perMille, minHealthyWeight);
    }

    static Builder table(RoutingTable.RegionEntry... regions) {
        return new Builder(List.of(regions));
    }

    static final class Builder {
        private final List<RoutingTable.RegionEntry> regions;
        private final List<RoutingTable.Rule> rules = new ArrayList<>();
        private List<RegionId> fallback = List.of();
        private Set<ResidencyZone> zones = Set.of();
        private Map<String, List<RegionId>> countryRegions = Map.of();
        private Map<String, Map<String, Double>> measured = Map.of();

        Builder(List<RoutingTable.RegionEntry> regions) {
            this.regions = regions.stream().sorted(java.util.Comparator.comparing(RoutingTable.RegionEntry::id)).toList();
        }

        Builder rule(RoutingTable.Rule rule) {
            rules.add(rule);
            return this;
        }

        Builder fallback(RegionId... ids) {
            fallback = List.of(ids);
            return this;
        }

        Builder residency(ResidencyZone... zones) {
            this.zones = Set.of(zones);
            return this;
        }

        Builder countryRegions(Map<String, List<RegionId>> map) {
            countryRegions = map;
            return this;
        }

        Builder measured(Map<String, Map<String, Double>> map) {
            measured = map;
            return this;
        }

        RoutingTable build() {
            return new RoutingTable("checkout", 7, Instant.EPOCH, 1, zones, regions, rules, fallback, COUNTRY_ZONES, countryRegions, measured,
                    0.5);
        }
    }
}
