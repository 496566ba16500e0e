package io.meridian.routing.engine;

import static io.meridian.routing.engine.Tables.AP_NORTHEAST;
import static io.meridian.routing.engine.Tables.EU_CENTRAL;
import static io.meridian.routing.engine.Tables.EU_WEST;
import static io.meridian.routing.engine.Tables.US_EAST;
import static io.meridian.routing.engine.Tables.US_WEST;
import static io.meridian.routing.engine.Tables.fenced;
import static io.meridian.routing.engine.Tables.healthy;
import static io.meridian.routing.engine.Tables.region;
import static io.meridian.routing.engine.Tables.table;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.meridian.common.geo.GeoIpLocator;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingDecision;
import io.meridian.common.routing.RoutingDecision.DecidedBy;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;
import io.meridian.testsupport.GeoIpDatabase;

/**
 * The fast path (a place's compiled route, {@link RoutingDecider#decide(ClientLocation, int, long, boolean)}) against
 * the reference path (every rule for the client, {@link RoutingDecider#decide(ClientLocation, long, boolean)}): the
 * same decision, field by field but the explanation, for random clients of the real GeoLite2 City database and of
 * random places, over tables that differ in rules, health, weights and residency.
 */
class PlaceRoutesTests {

    private static final GeoIpLocator.Place DEFAULT = new GeoIpLocator.Place("US", 39.04, -77.49);
    private static GeoIpLocator locator;

    @BeforeAll
    static void open() throws Exception {
        locator = GeoIpLocator.openCompiled(GeoIpDatabase.path(), DEFAULT, 1024);
        locator.ipv4Table().get(5, TimeUnit.MINUTES);
    }

    @AfterAll
    static void close() {
        locator.close();
    }

    /** Tables by name: the shapes of the stack's policies, and each after health, weight and residency changes. */
    private static Map<String, RoutingTable> tables() {
        Map<String, RoutingTable> tables = new LinkedHashMap<>();
        RoutingTable.Rule byZone = Tables.geographic(Map.of("DE", List.of(EU_CENTRAL, EU_WEST)),
                Map.of("US", List.of(US_EAST), "EU", List.of(EU_WEST), "APAC", List.of(AP_NORTHEAST)));
        tables.put("seed-like", table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST), healthy(AP_NORTHEAST))
                .rule(byZone).rule(Tables.latency(150)).rule(Tables.health(0.5))
                .rule(Tables.weighted(Map.of("us-east-1", 400, "us-west-2", 200, "eu-west-1", 250, "ap-northeast-1", 150), 0))
                .fallback(US_EAST).build());
        tables.put("seed-like, eu-west-1 fenced and us-east-1 degraded", table(healthy(US_EAST), healthy(US_WEST), fenced(EU_WEST),
                region(AP_NORTHEAST, RegionStatus.DEGRADED, 0.7))
                .rule(byZone).rule(Tables.latency(150)).rule(Tables.health(0.5)).fallback(US_EAST).build());
        tables.put("latency first, measured", table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST), healthy(EU_CENTRAL),
                healthy(AP_NORTHEAST))
                .rule(Tables.latency(80)).rule(Tables.health(0.9))
                .measured(Map.of("DE", Map.of("eu-west-1", 9.0, "eu-central-1", 30.0), "JP", Map.of("us-west-2", 60.0)))
                .build());
        RoutingTable.Rule canary = Tables.weighted(Map.of("us-east-1", 950, "us-west-2", 50), 100);
        tables.put("canary 5 %", table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST)).rule(canary).fallback(EU_WEST).build());
        tables.put("canary 10 %", table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST))
                .rule(Tables.weighted(Map.of("us-east-1", 900, "us-west-2", 100), 100)).fallback(EU_WEST).build());
        tables.put("canary, us-east-1 unhealthy (split passes)", table(region(US_EAST, RegionStatus.ACTIVE, 0.2), healthy(US_WEST),
                healthy(EU_WEST)).rule(canary).fallback(EU_WEST).build());
        tables.put("weighted over five (order per call)", table(healthy(US_EAST), healthy(US_WEST), healthy(EU_WEST), healthy(EU_CENTRAL),
                healthy(AP_NORTHEAST))
                .rule(Tables.weighted(Map.of("us-east-1", 300, "us-west-2", 100, "eu-west-1", 200, "eu-central-1", 250,
                        "ap-northeast-1", 150), 0))
                .build());
        tables.put("weighted over four, one of them fenced", table(healthy(US_EAST), healthy(US_WEST), fenced(EU_WEST), healthy(EU_CENTRAL),
                healthy(AP_NORTHEAST))
                .rule(Tables.weighted(Map.of("us-east-1", 300, "us-west-2", 100, "eu-west-1", 350, "eu-central-1", 250), 0))
                .fallback(AP_NORTHEAST, US_EAST).build());
        tables.put("residency EU, EU regions down (refusals)", table(healthy(US_EAST), region(EU_WEST, RegionStatus.ACTIVE, 0.1),
                fenced(EU_CENTRAL))
                .rule(byZone).rule(Tables.latency(100)).residency(ResidencyZone.EU).build());
        tables.put("residency EU+US+APAC, weighted within zones", table(healthy(US_EAST), healthy(US_WEST), fenced(EU_WEST),
                healthy(EU_CENTRAL), healthy(AP_NORTHEAST))
                .rule(Tables.geographic(Map.of("DE", List.of(EU_WEST)), Map.of("APAC", List.of(AP_NORTHEAST))))
                .rule(Tables.weighted(Map.of("us-east-1", 600, "us-west-2", 400), 0))
                .rule(Tables.latency(200))
                .residency(ResidencyZone.EU, ResidencyZone.APAC, ResidencyZone.US).build());
        tables.put("nothing healthy", table(region(US_EAST, RegionStatus.ACTIVE, 0.0), fenced(EU_WEST))
                .rule(Tables.rule(RuleType.HEALTH)).fallback(US_EAST).build());
        return tables;
    }

    private static void assertSameDecision(RoutingDecision fast, RoutingDecision reference, String what) {
        RoutingDecision unexplained = new RoutingDecision(reference.service(), reference.outcome(), reference.target(), reference.fallbacks(),
                reference.decidedBy(), reference.ruleIndex(), "", reference.client(), reference.clientZone(), reference.tableVersion());
        assertThat(fast).as(what).isEqualTo(unexplained);
    }

    @Test
    void compiledRoutesDecideAsTheReferencePathForRandomAddressesOfTheDatabase() {
        SplittableRandom random = new SplittableRandom(20261122);
        EnumSet<DecidedBy> seen = EnumSet.noneOf(DecidedBy.class);
        for (Map.Entry<String, RoutingTable> entry : tables().entrySet()) {
            RoutingDecider decider = RoutingDecider.of(entry.getValue());
            for (int i = 0; i < 40_000; i++) {
                // about one in six is private or reserved (the default location), a few are unknown to the database
                int address = random.nextInt();
                String text = (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
                GeoIpLocator.Located located = locator.locate(text);
                assertThat(locator.placeIdIpv4(address)).as("place id without allocating, " + text).isEqualTo(located.placeId());
                GeoIpLocator.Place place = locator.place(located.placeId());
                assertThat(new double[] {place.latitude(), place.longitude()}).as(text)
                        .containsExactly(located.location().latitude(), located.location().longitude());
                assertThat(place.country()).isEqualTo(located.location().country());
                // twice: the first call may compile the place's route, the second reads it
                for (int repeat = 0; repeat < 2; repeat++) {
                    RoutingDecision fast = decider.decide(located.location(), located.placeId(), located.clientKey(), false);
                    RoutingDecision reference = decider.decide(located.location(), located.clientKey(), true);
                    assertSameDecision(fast, reference, entry.getKey() + ", client " + text);
                    seen.add(fast.decidedBy());
                }
            }
            int[] statistics = decider.placeStatistics();
            assertThat(statistics[0]).as("places compiled").isGreaterThan(1_000);
            assertThat(statistics[1]).as("distinct routes").isLessThan(statistics[0] / 10);
        }
        assertThat(seen).as("every kind of decision was compared").containsAll(EnumSet.allOf(DecidedBy.class));
    }

    @Test
    void compiledRoutesDecideAsTheReferencePathForRandomPlacesAndKeys() {
        SplittableRandom random = new SplittableRandom(7);
        List<String> countries = List.of("US", "DE", "FR", "IE", "JP", "AU", "GB", "BR", "CN", "ZA");
        List<ClientLocation> places = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            places.add(new ClientLocation("203.0.113." + i % 256, countries.get(random.nextInt(countries.size())),
                    random.nextDouble(-60, 70), random.nextDouble(-180, 180), ClientLocation.Source.GEOIP));
        }
        for (Map.Entry<String, RoutingTable> entry : tables().entrySet()) {
            RoutingDecider decider = RoutingDecider.of(entry.getValue());
            for (int i = 0; i < 30_000; i++) {
                int placeId = random.nextInt(places.size());
                ClientLocation place = places.get(placeId);
                long key = random.nextLong();
                assertSameDecision(decider.decide(place, placeId, key, false), decider.decide(place, key, true),
                        entry.getKey() + ", place " + placeId);
            }
        }
    }

    @Test
    void aNewTableVersionNeverServesARouteCompiledForTheOldOne() {
        RoutingTable before = tables().get("seed-like");
        RoutingDecider old = RoutingDecider.of(before);
        ClientLocation dublin = new ClientLocation("81.2.69.160", "IE", 53.35, -6.26, ClientLocation.Source.GEOIP);
        assertThat(old.decide(dublin, 17, 1, false).target()).isEqualTo(EU_WEST);

        // eu-west-1 is fenced: the next version's decider starts without routes and never sends the place there
        List<RoutingTable.RegionEntry> regions = before.regions().stream().map(r -> r.id().equals(EU_WEST) ? fenced(EU_WEST) : r).toList();
        RoutingTable after = new RoutingTable(before.service(), before.version() + 1, before.compiledAt(), before.policyVersion(),
                before.residencyZones(), regions, before.rules(), before.fallback(), before.countryZones(), before.countryRegions(),
                before.measuredRttMillis(), before.healthThreshold());
        RoutingDecider next = RoutingDecider.of(after);
        RoutingDecision decision = next.decide(dublin, 17, 1, false);
        assertThat(decision.target()).isNotEqualTo(EU_WEST);
        assertThat(decision.fallbacks()).doesNotContain(EU_WEST);
        assertThat(decision.tableVersion()).isEqualTo(after.version());
        assertSameDecision(decision, next.decide(dublin, 1, true), "after the fence");
        assertThat(old.decide(dublin, 17, 1, false).tableVersion()).as("the old decider still answers for its own version only")
                .isEqualTo(before.version());
    }

    @Test
    void aWeightChangeMovesClientsAsTheReferencePathDoes() {
        RoutingDecider five = RoutingDecider.of(tables().get("canary 5 %"));
        RoutingDecider ten = RoutingDecider.of(tables().get("canary 10 %"));
        ClientLocation newYork = Tables.NEW_YORK;
        int moved = 0;
        for (int client = 0; client < 100_000; client++) {
            long key = RoutingDecider.clientKeyIpv4(0x51000000 + client);
            RegionId was = five.decide(newYork, 3, key, false).target();
            RegionId is = ten.decide(newYork, 3, key, false).target();
            assertThat(is).isEqualTo(ten.decide(newYork, key, false).target());
            if (!was.equals(is)) {
                moved++;
                assertThat(is).as("clients only move to the canary").isEqualTo(US_WEST);
            }
        }
        assertThat(moved).isBetween(4_500, 5_500);
    }

    @Test
    void aCompiledRouteAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        RoutingDecider decider = RoutingDecider.of(tables().get("seed-like"));
        RoutingDecider weighted = RoutingDecider.of(tables().get("weighted over four, one of them fenced"));
        ClientLocation tokyo = Tables.TOKYO;
        // compile the places and every order of the split first
        for (int key = 0; key < 10_000; key++) {
            decider.route(5, tokyo.country(), tokyo.latitude(), tokyo.longitude(), key);
            weighted.route(5, tokyo.country(), tokyo.latitude(), tokyo.longitude(), key);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        long sink = 0;
        for (int key = 0; key < 100_000; key++) {
            sink += decider.route(5, tokyo.country(), tokyo.latitude(), tokyo.longitude(), key).fallbacks().size();
            sink += weighted.route(5, tokyo.country(), tokyo.latitude(), tokyo.longitude(), key).fallbacks().size();
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(sink).isNotZero();
        assertThat(allocated).as("bytes allocated by 200,000 routes").isLessThan(4_096);
    }
}
