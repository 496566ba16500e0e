package io.meridian.routing.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.meridian.common.geo.GeoIpLocator;
import io.meridian.common.geo.Ipv4Places;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;

/**
 * What the per-place routes cost when every place of GeoLite2 City is decided once (the worst case of one table
 * version: a client population that covers every place): the compile time and the heap they hold, for the local
 * stack's three policies (local-stack/src/main/resources/seeds/routing-rules.json) and for 50 services of those
 * shapes. Run: {@code routing-service/benchmarks.sh footprint}.
 */
public final class PlaceRouteFootprint {

    private PlaceRouteFootprint() {
    }

    public static void main(String[] args) throws Exception {
        Path database = Path.of(System.getProperty("geoip.db"));
        GeoIpLocator locator = GeoIpLocator.openCompiled(database, new GeoIpLocator.Place("US", 39.04, -77.49), 1024);
        Ipv4Places places = locator.ipv4Table().get();
        System.out.printf(Locale.ROOT, "%,d places%n", places.places());
        List<RoutingTable> stack = stackPolicies();
        for (int warm = 0; warm < 3; warm++) {
            compileAll(RoutingDecider.of(stack.get(warm)), places); // JIT the compile path first
        }
        System.out.println("| policy | compile every place (ms) | distinct routes | heap held (KB) |");
        System.out.println("|---|---|---|---|");
        for (RoutingTable table : stack) {
            long heapBefore = usedHeap();
            RoutingDecider decider = RoutingDecider.of(table);
            long t0 = System.nanoTime();
            compileAll(decider, places);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long held = usedHeap() - heapBefore;
            System.out.printf(Locale.ROOT, "| %s | %,d | %,d | %,d |%n", table.service(), ms, decider.placeStatistics()[1], held / 1024);
        }
        long heapBefore = usedHeap();
        List<RoutingDecider> fifty = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            RoutingTable shape = stack.get(i % stack.size());
            RoutingDecider decider = RoutingDecider.of(new RoutingTable(shape.service() + "-" + i, i, Instant.EPOCH, 1, shape.residencyZones(),
                    shape.regions(), shape.rules(), shape.fallback(), shape.countryZones(), shape.countryRegions(),
                    shape.measuredRttMillis(), shape.healthThreshold()));
            compileAll(decider, places);
            fifty.add(decider);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long held = usedHeap() - heapBefore;
        System.out.printf(Locale.ROOT, "50 services, every place: %,d ms to compile, %,d KB held (%,d KB per service)%n", ms, held / 1024,
                held / 1024 / fifty.size());
        locator.close();
    }

    /** Decides once for every place id (the default location and each place of the table). */
    private static void compileAll(RoutingDecider decider, Ipv4Places places) {
        decider.route(GeoIpLocator.DEFAULT_PLACE_ID, "US", 39.04, -77.49, 1);
        for (int i = 0; i < places.places(); i++) {
            GeoIpLocator.Place place = places.place(i);
            decider.route(i + 1, place.country(), place.latitude(), place.longitude(), i);
        }
    }

    private static long usedHeap() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 4; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /** The local stack's seeded policies as routing-service compiles them (weights in per mille). */
    static List<RoutingTable> stackPolicies() {
        RoutingTable seed = DecisionBenchmark.seedTable();
        List<RoutingTable.RegionEntry> regions = seed.regions();
        Map<String, ResidencyZone> zones = seed.countryZones();
        RoutingTable.Rule geographic = new RoutingTable.Rule(RuleType.GEOGRAPHIC, 0.5, null, Map.of(),
                Map.of("US", List.of(RegionId.of("us-east-1"), RegionId.of("us-west-2")), "EU", List.of(RegionId.of("eu-west-1")), "APAC",
                        List.of(RegionId.of("ap-northeast-1"))), Map.of(), 0);
        RoutingTable sample = new RoutingTable("sample", 1, Instant.EPOCH, 1, Set.of(), regions, List.of(geographic,
                new RoutingTable.Rule(RuleType.LATENCY, 0.5, 150.0, Map.of(), Map.of(), Map.of(), 0),
                new RoutingTable.Rule(RuleType.HEALTH, 0.5, null, Map.of(), Map.of(), Map.of(), 0)),
                List.of(RegionId.of("us-east-1")), zones, Map.of(), Map.of(), 0.5);
        RoutingTable weighted = new RoutingTable("sample-weighted", 1, Instant.EPOCH, 1, Set.of(), regions, List.of(
                new RoutingTable.Rule(RuleType.WEIGHTED, 0.5, null, Map.of(), Map.of(),
                        Map.of("us-east-1", 400, "us-west-2", 200, "eu-west-1", 250, "ap-northeast-1", 150), 500)),
                List.of(RegionId.of("us-east-1")), zones, Map.of(), Map.of(), 0.5);
        RoutingTable.RegionEntry euWest = regions.stream().filter(r -> r.id().value().equals("eu-west-1")).findFirst().orElseThrow();
        RoutingTable eu = new RoutingTable("sample-eu", 1, Instant.EPOCH, 1, Set.of(ResidencyZone.EU), List.of(euWest), List.of(
                new RoutingTable.Rule(RuleType.HEALTH, 0.5, null, Map.of(), Map.of(), Map.of(), 0)),
                List.of(RegionId.of("eu-west-1")), zones, Map.of(), Map.of(), 0.5);
        return List.of(sample, weighted, eu);
    }
}
