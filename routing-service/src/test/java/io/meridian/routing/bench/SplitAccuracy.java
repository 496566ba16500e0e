package io.meridian.routing.bench;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;

/**
 * Weighted split accuracy over 100,000 clients (consecutive IPv4 addresses from 100.64.0.0 and from
 * 81.0.0.0, as keyed in production) for a few weight sets, and the share of clients a canary change
 * moves. Prints a Markdown table. Run: see docs/routing.md, "Benchmarks".
 */
public final class SplitAccuracy {

    private static final int CLIENTS = 100_000;
    private static final ClientLocation CLIENT = new ClientLocation("x", "US", 40, -74, ClientLocation.Source.GEOIP);

    private SplitAccuracy() {
    }

    public static void main(String[] args) {
        System.out.println("| weights (per mille) | clients from | worst error (percentage points) | shares |");
        System.out.println("|---|---|---|---|");
        List<Map<String, Integer>> sets = List.of(Map.of("us-east-1", 950, "us-west-2", 50), Map.of("us-east-1", 500, "us-west-2", 500),
                Map.of("us-east-1", 400, "us-west-2", 200, "eu-west-1", 250, "ap-northeast-1", 150),
                Map.of("us-east-1", 999, "us-west-2", 1));
        for (Map<String, Integer> weights : sets) {
            for (int base : new int[] {0x64400000, 0x51000000}) {
                RoutingDecider decider = RoutingDecider.of(table(weights));
                Map<String, Integer> counts = new TreeMap<>();
                for (int i = 0; i < CLIENTS; i++) {
                    counts.merge(decider.decide(CLIENT, RoutingDecider.clientKeyIpv4(base + i), false).target().value(), 1, Integer::sum);
                }
                double worst = 0;
                StringBuilder shares = new StringBuilder();
                for (Map.Entry<String, Integer> entry : new TreeMap<>(weights).entrySet()) {
                    double share = counts.getOrDefault(entry.getKey(), 0) * 100.0 / CLIENTS;
                    worst = Math.max(worst, Math.abs(share - entry.getValue() / 10.0));
                    shares.append(entry.getKey()).append(' ').append(String.format(Locale.ROOT, "%.2f", share)).append("% ");
                }
                System.out.printf(Locale.ROOT, "| %s | %s/16 | %.2f | %s|%n", new TreeMap<>(weights), ip(base), worst, shares);
            }
        }
        RoutingDecider five = RoutingDecider.of(table(Map.of("us-east-1", 950, "us-west-2", 50)));
        RoutingDecider ten = RoutingDecider.of(table(Map.of("us-east-1", 900, "us-west-2", 100)));
        int moved = 0;
        for (int i = 0; i < CLIENTS; i++) {
            long key = RoutingDecider.clientKeyIpv4(0x64400000 + i);
            if (!five.decide(CLIENT, key, false).target().equals(ten.decide(CLIENT, key, false).target())) {
                moved++;
            }
        }
        System.out.printf(Locale.ROOT, "%nCanary 5%% -> 10%%: %.2f%% of %,d clients moved (ideal 5.00%%)%n", moved * 100.0 / CLIENTS, CLIENTS);
    }

    private static String ip(int base) {
        return (base >>> 24) + "." + (base >>> 16 & 0xff) + ".0.0";
    }

    private static RoutingTable table(Map<String, Integer> weights) {
        List<RoutingTable.RegionEntry> regions = weights.keySet().stream().sorted().map(id -> new RoutingTable.RegionEntry(RegionId.of(id),
                ResidencyZone.US, 40, -74, RegionStatus.ACTIVE, false, 1.0, List.of())).toList();
        return new RoutingTable("split", 1, Instant.EPOCH, 1, Set.of(), regions,
                List.of(new RoutingTable.Rule(RuleType.WEIGHTED, 0.5, null, Map.of(), Map.of(), weights, 0)), List.of(), Map.of(), Map.of(),
                Map.of(), 0.5);
    }
}
