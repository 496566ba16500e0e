package io.meridian.routing.engine;

import static io.meridian.routing.engine.Tables.AP_NORTHEAST;
import static io.meridian.routing.engine.Tables.BERLIN;
import static io.meridian.routing.engine.Tables.EU_CENTRAL;
import static io.meridian.routing.engine.Tables.EU_WEST;
import static io.meridian.routing.engine.Tables.NEW_YORK;
import static io.meridian.routing.engine.Tables.PARIS;
import static io.meridian.routing.engine.Tables.SEATTLE;
import static io.meridian.routing.engine.Tables.SYDNEY;
import static io.meridian.routing.engine.Tables.TOKYO;
import static io.meridian.routing.engine.Tables.US_EAST;
import static io.meridian.routing.engine.Tables.US_WEST;
import static io.meridian.routing.engine.Tables.fenced;
import static io.meridian.routing.engine.Tables.healthy;
import static io.meridian.routing.engine.Tables.region;
import static io.meridian.routing.engine.Tables.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.routing.RoutingDecision.DecidedBy;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;

class RoutingDeciderTests {

    private static final int CLIENTS = 100_000;

    private static RoutingDecision decide(RoutingTable table, ClientLocation client) {
        return RoutingDecider.of(table).decide(client, 42, true);
    }

    @Test
    void geographicRuleSendsClientsByCountryThenZoneThenConfiguration() {
        RoutingTable table = table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST), healthy(EU_CENTRAL), healthy(AP_NORTHEAST))
                .rule(Tables.geographic(Map.of("DE", List.of(EU_CENTRAL, EU_WEST)), Map.of("EU", List.of(EU_WEST))))
                .countryRegions(Map.of("US", List.of(US_EAST, US_WEST)))
                .build();

        RoutingDecision berlin = decide(table, BERLIN);
        assertThat(berlin.target()).isEqualTo(EU_CENTRAL);
        assertThat(berlin.decidedBy()).isEqualTo(DecidedBy.GEOGRAPHIC);
        assertThat(berlin.ruleIndex()).isZero();
        assertThat(berlin.fallbacks()).startsWith(EU_WEST);
        assertThat(berlin.explanation()).contains("DE maps to eu-central-1");

        assertThat(decide(table, PARIS).target()).as("zone map for FR (EU)").isEqualTo(EU_WEST);
        assertThat(decide(table, NEW_YORK).target()).as("configured country map").isEqualTo(US_EAST);

        RoutingDecision tokyo = decide(table, TOKYO);
        assertThat(tokyo.decidedBy()).as("nothing maps JP: nearest healthy region").isEqualTo(DecidedBy.FALLBACK);
        assertThat(tokyo.target()).isEqualTo(AP_NORTHEAST);
        assertThat(tokyo.explanation()).contains("rule 1 GEOGRAPHIC passed");
    }

    @Test
    void geographicRuleSkipsAMappedRegionBelowItsHealthThreshold() {
        RoutingTable table = table(region(EU_CENTRAL, RegionStatus.ACTIVE, 0.2), healthy(EU_WEST))
                .rule(Tables.geographic(Map.of("DE", List.of(EU_CENTRAL, EU_WEST)), Map.of()))
                .build();

        RoutingDecision decision = decide(table, BERLIN);

        assertThat(decision.target()).isEqualTo(EU_WEST);
        assertThat(decision.fallbacks()).as("an unhealthy region is no fallback either").doesNotContain(EU_CENTRAL);
    }

    @Test
    void latencyRuleSendsClientsToTheFastestRegionWithinItsBound() {
        RoutingTable table = table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST), healthy(AP_NORTHEAST))
                .rule(Tables.latency(100))
                .fallback(US_EAST)
                .build();

        RoutingDecision seattle = decide(table, SEATTLE);
        assertThat(seattle.target()).isEqualTo(US_WEST);
        assertThat(seattle.decidedBy()).isEqualTo(DecidedBy.LATENCY);
        assertThat(seattle.fallbacks()).as("within the bound, fastest first, then the fallback chain").containsExactly(US_EAST, EU_WEST,
                AP_NORTHEAST);
        assertThat(decide(table, BERLIN).target()).isEqualTo(EU_WEST);
        assertThat(decide(table, TOKYO).target()).isEqualTo(AP_NORTHEAST);

        RoutingDecision sydney = decide(table, SYDNEY);
        assertThat(sydney.decidedBy()).as("Tokyo is ~118 ms from Sydney, beyond 100 ms: the rule passes").isEqualTo(DecidedBy.FALLBACK);
        assertThat(sydney.target()).isEqualTo(US_EAST);
        assertThat(sydney.explanation()).contains("no healthy allowed region within 100.0 ms");
    }

    @Test
    void latencyIsTheGreatCircleEstimateUnlessAMeasurementExists() {
        RoutingTable estimated = table(healthy(US_EAST), healthy(US_WEST)).rule(Tables.latency(10_000)).build();
        RoutingDecision decision = decide(estimated, NEW_YORK);
        GeoLocation newYork = new GeoLocation(NEW_YORK.latitude(), NEW_YORK.longitude(), "US");
        double expected = newYork.estimatedRttMillis(new GeoLocation(38.9, -77.4, "US"));
        assertThat(decision.target()).isEqualTo(US_EAST);
        assertThat(decision.explanation()).contains(String.format(Locale.ROOT, "fastest at %.1f ms", expected));

        RoutingTable measured = table(healthy(US_EAST), healthy(US_WEST)).rule(Tables.latency(10_000))
                .measured(Map.of("US", Map.of("us-west-2", 3.0, "us-east-1", 40.0))).build();
        assertThat(decide(measured, NEW_YORK).target()).as("measured RTT wins over distance").isEqualTo(US_WEST);
    }

    @Test
    void healthRulePrefersActiveThenHealthiestThenNearest() {
        RoutingTable table = table(region(US_EAST, RegionStatus.DEGRADED, 1.0), region(US_WEST, RegionStatus.ACTIVE, 0.8),
                region(EU_WEST, RegionStatus.ACTIVE, 0.9), region(AP_NORTHEAST, RegionStatus.ACTIVE, 0.6))
                .rule(Tables.health(0.7))
                .build();

        RoutingDecision decision = decide(table, NEW_YORK);

        assertThat(decision.decidedBy()).isEqualTo(DecidedBy.HEALTH);
        assertThat(decision.target()).isEqualTo(EU_WEST);
        assertThat(decision.fallbacks()).as("then the rest at or above 0.7, then healthy ones by latency")
                .containsExactly(US_WEST, US_EAST, AP_NORTHEAST);
    }

    @Test
    void regionsThatDoNotTakeNewTrafficAreNeverChosen() {
        RoutingTable table = table(region(US_EAST, RegionStatus.DRAINING, 1.0), region(US_WEST, RegionStatus.MAINTENANCE, 1.0),
                fenced(EU_WEST), healthy(AP_NORTHEAST))
                .rule(Tables.latency(100_000))
                .build();

        RoutingDecision decision = decide(table, NEW_YORK);

        assertThat(decision.target()).isEqualTo(AP_NORTHEAST);
        assertThat(decision.fallbacks()).isEmpty();
    }

    @Test
    void weightedSplitIsWithinHalfAPercentagePointOverAHundredThousandClients() {
        RoutingTable table = table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 700, "us-west-2", 250, "eu-west-1", 50), 0))
                .build();

        Map<RegionId, Integer> counts = split(table);

        assertThat(counts.get(US_EAST) * 100.0 / CLIENTS).isCloseTo(70.0, within(0.5));
        assertThat(counts.get(US_WEST) * 100.0 / CLIENTS).isCloseTo(25.0, within(0.5));
        assertThat(counts.get(EU_WEST) * 100.0 / CLIENTS).isCloseTo(5.0, within(0.5));
    }

    @Test
    void raisingACanaryFromFiveToTenPercentMovesAboutFivePercentOfClientsAllToTheCanary() {
        RoutingDecider before = RoutingDecider.of(table(healthy(US_EAST), healthy(US_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 950, "us-west-2", 50), 0)).build());
        RoutingDecider after = RoutingDecider.of(table(healthy(US_EAST), healthy(US_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 900, "us-west-2", 100), 0)).build());

        int moved = 0;
        int movedAwayFromCanary = 0;
        for (int client = 0; client < CLIENTS; client++) {
            long key = RoutingDecider.clientKeyIpv4(0x0a000000 + client);
            RegionId was = before.decide(NEW_YORK, key, false).target();
            RegionId is = after.decide(NEW_YORK, key, false).target();
            if (!was.equals(is)) {
                moved++;
                if (!is.equals(US_WEST)) {
                    movedAwayFromCanary++;
                }
            }
        }
        assertThat(moved * 100.0 / CLIENTS).as("share of clients moved").isCloseTo(5.0, within(0.5));
        assertThat(movedAwayFromCanary).as("every moved client went to the canary").isZero();
    }

    @Test
    void proportionalWeightChangesAcrossThreeRegionsOnlyMoveClientsToTheGrowingRegion() {
        RoutingDecider before = RoutingDecider.of(table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 600, "us-west-2", 300, "eu-west-1", 100), 0)).build());
        RoutingDecider after = RoutingDecider.of(table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 400, "us-west-2", 200, "eu-west-1", 400), 0)).build());

        int moved = 0;
        for (int client = 0; client < CLIENTS; client++) {
            long key = RoutingDecider.clientKeyIpv4(0x0b000000 + client);
            RegionId was = before.decide(NEW_YORK, key, false).target();
            RegionId is = after.decide(NEW_YORK, key, false).target();
            if (!was.equals(is)) {
                moved++;
                assertThat(is).isEqualTo(EU_WEST);
            }
        }
        assertThat(moved * 100.0 / CLIENTS).as("the minimum possible: 30 points").isCloseTo(30.0, within(0.5));
    }

    @Test
    void weightedSplitIsStickyAndSkipsUnhealthyRegions() {
        RoutingTable table = table(healthy(US_EAST), fenced(US_WEST), healthy(EU_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 500, "us-west-2", 300, "eu-west-1", 200), 0))
                .build();
        RoutingDecider decider = RoutingDecider.of(table);
        long key = RoutingDecider.clientKeyIpv4(0xc6336407);
        RegionId first = decider.decide(NEW_YORK, key, false).target();
        for (int i = 0; i < 100; i++) {
            assertThat(decider.decide(NEW_YORK, key, false).target()).isEqualTo(first);
        }
        Map<RegionId, Integer> counts = split(table);
        assertThat(counts).doesNotContainKey(US_WEST);
        assertThat(counts.get(US_EAST) * 100.0 / CLIENTS).as("the fenced region's share is spread in proportion").isCloseTo(500 / 7.0, within(0.6));
    }

    @Test
    void weightedRulePassesWhenTooLittleOfItsWeightIsHealthy() {
        RoutingTable table = table(fenced(US_EAST), healthy(US_WEST), healthy(EU_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 950, "us-west-2", 50), 500))
                .fallback(EU_WEST)
                .build();

        RoutingDecision decision = decide(table, NEW_YORK);

        assertThat(decision.decidedBy()).as("the 5% canary must not take all traffic alone").isEqualTo(DecidedBy.FALLBACK);
        assertThat(decision.target()).isEqualTo(EU_WEST);
        assertThat(decision.explanation()).contains("healthy allowed weight below 50.0 %");
    }

    @Test
    void fallbackChainDecidesWhenNoRuleDoes() {
        RoutingTable table = table(healthy(US_EAST), fenced(US_WEST), healthy(EU_WEST), healthy(AP_NORTHEAST))
                .rule(Tables.geographic(Map.of("FR", List.of(EU_WEST)), Map.of()))
                .fallback(US_WEST, AP_NORTHEAST, US_EAST)
                .build();

        RoutingDecision decision = decide(table, NEW_YORK);

        assertThat(decision.decidedBy()).isEqualTo(DecidedBy.FALLBACK);
        assertThat(decision.ruleIndex()).isEqualTo(-1);
        assertThat(decision.target()).as("us-west-2 is fenced; the chain's next").isEqualTo(AP_NORTHEAST);
        assertThat(decision.fallbacks()).containsExactly(US_EAST, EU_WEST);
    }

    @Test
    void aZoneTaggedServiceRefusesRatherThanLeaveTheClientsZone() {
        RoutingTable table = table(fenced(EU_WEST), region(EU_CENTRAL, RegionStatus.FAILED, 1.0), healthy(US_EAST), healthy(AP_NORTHEAST))
                .residency(ResidencyZone.EU, ResidencyZone.APAC)
                .rule(Tables.latency(100_000))
                .fallback(US_EAST)
                .build();

        RoutingDecision berlin = decide(table, BERLIN);
        assertThat(berlin.outcome()).isEqualTo(RoutingDecision.Outcome.REFUSED);
        assertThat(berlin.decidedBy()).isEqualTo(DecidedBy.RESIDENCY_REFUSAL);
        assertThat(berlin.target()).isNull();
        assertThat(berlin.fallbacks()).isEmpty();
        assertThat(berlin.clientZone()).isEqualTo(ResidencyZone.EU);
        assertThat(berlin.explanation()).contains("no healthy region in zone EU");

        RoutingDecision tokyo = decide(table, TOKYO);
        assertThat(tokyo.target()).as("an APAC client stays in APAC").isEqualTo(AP_NORTHEAST);
        assertThat(tokyo.fallbacks()).isEmpty();

        RoutingDecision newYork = decide(table, NEW_YORK);
        assertThat(newYork.target()).as("a client outside the tagged zones goes to a tagged zone, never to US").isEqualTo(AP_NORTHEAST);
        assertThat(newYork.fallbacks()).doesNotContain(US_EAST);
    }

    @Test
    void aZoneTaggedServiceKeepsFallbacksInTheClientsZone() {
        RoutingTable table = table(healthy(EU_WEST), healthy(EU_CENTRAL), healthy(US_EAST))
                .residency(ResidencyZone.EU)
                .rule(Tables.latency(100_000))
                .fallback(US_EAST)
                .build();

        RoutingDecision paris = decide(table, PARIS);

        assertThat(paris.target()).isEqualTo(EU_CENTRAL);
        assertThat(paris.fallbacks()).containsExactly(EU_WEST);
    }

    @Test
    void aServiceWithoutAHealthyRegionIsRefused() {
        RoutingTable table = table(fenced(US_EAST), region(US_WEST, RegionStatus.ACTIVE, 0.1))
                .rule(Tables.rule(RuleType.HEALTH))
                .build();

        RoutingDecision decision = decide(table, NEW_YORK);

        assertThat(decision.outcome()).isEqualTo(RoutingDecision.Outcome.REFUSED);
        assertThat(decision.decidedBy()).isEqualTo(DecidedBy.NO_HEALTHY_REGION);
    }

    @Test
    void theExplanationSaysWhenTheDefaultLocationWasUsed() {
        RoutingTable table = table(healthy(US_EAST)).rule(Tables.latency(100_000)).build();
        for (ClientLocation.Source source : List.of(ClientLocation.Source.PRIVATE, ClientLocation.Source.UNKNOWN,
                ClientLocation.Source.MALFORMED)) {
            ClientLocation client = new ClientLocation("10.1.2.3", "US", 39.04, -77.49, source);
            assertThat(decide(table, client).explanation()).contains("default location US");
        }
        assertThat(decide(table, NEW_YORK).explanation()).contains("located in US by GeoIP");
    }

    @Test
    void fastDecisionsWithoutExplanationAgreeWithExplainedOnes() {
        RoutingTable table = table(healthy(US_EAST), healthy(US_WEST), fenced(EU_WEST), healthy(EU_CENTRAL), healthy(AP_NORTHEAST))
                .rule(Tables.geographic(Map.of("DE", List.of(EU_WEST)), Map.of("APAC", List.of(AP_NORTHEAST))))
                .rule(Tables.weighted(Map.of("us-east-1", 600, "us-west-2", 400), 0))
                .rule(Tables.latency(200))
                .residency(ResidencyZone.EU, ResidencyZone.APAC, ResidencyZone.US)
                .build();
        RoutingDecider decider = RoutingDecider.of(table);
        java.util.SplittableRandom random = new java.util.SplittableRandom(9);
        List<ClientLocation> places = List.of(NEW_YORK, SEATTLE, BERLIN, PARIS, TOKYO, SYDNEY, Tables.LONDON);
        for (int i = 0; i < 5_000; i++) {
            ClientLocation place = places.get(random.nextInt(places.size()));
            long key = random.nextLong();
            RoutingDecision explained = decider.decide(place, key, true);
            for (int repeat = 0; repeat < 2; repeat++) {
                RoutingDecision fast = decider.decide(place, key, false);
                assertThat(fast.target()).isEqualTo(explained.target());
                assertThat(fast.fallbacks()).isEqualTo(explained.fallbacks());
                assertThat(fast.decidedBy()).isEqualTo(explained.decidedBy());
                assertThat(fast.outcome()).isEqualTo(explained.outcome());
                assertThat(fast.client()).isSameAs(place);
            }
        }
    }

    private static Map<RegionId, Integer> split(RoutingTable table) {
        RoutingDecider decider = RoutingDecider.of(table);
        Map<RegionId, Integer> counts = new HashMap<>();
        for (int client = 0; client < CLIENTS; client++) {
            RegionId target = decider.decide(NEW_YORK, RoutingDecider.clientKeyIpv4(0x64400000 + client * 7), false).target();
            counts.merge(target, 1, Integer::sum);
        }
        return counts;
    }

}
