package io.meridian.routing.geo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.maxmind.geoip2.DatabaseReader;

import io.meridian.testsupport.GeoIpDatabase;
import io.meridian.common.geo.GeoIpLocator;
import io.meridian.common.geo.IpLiterals;
import io.meridian.common.geo.Ipv4Places;
import io.meridian.common.routing.ClientLocation;

/** Against the real GeoLite2 City database (fetched by scripts/fetch-geoip.sh). */
class GeoIpLocatorTests {

    private static final GeoIpLocator.Place DEFAULT = new GeoIpLocator.Place("US", 39.04, -77.49);
    private static GeoIpLocator locator;

    @BeforeAll
    static void open() {
        locator = GeoIpLocator.open(GeoIpDatabase.path(), DEFAULT, 1024);
    }

    @AfterAll
    static void close() {
        locator.close();
    }

    @Test
    void publicAddressesAreLocatedByTheDatabase() {
        assertThat(locator.database()).hasValueSatisfying(d -> assertThat(d).startsWith("GeoLite2-City built"));
        ClientLocation london = locator.locate("81.2.69.160").location();
        assertThat(london.source()).isEqualTo(ClientLocation.Source.GEOIP);
        assertThat(london.country()).isEqualTo("GB");
        assertThat(london.latitude()).isCloseTo(51.5, within(1.0));
        assertThat(locator.locate("193.0.6.139").location().country()).isEqualTo("NL");
        assertThat(locator.locate("133.11.0.1").location().country()).isEqualTo("JP");
        assertThat(locator.locate("200.160.2.3").location().country()).isEqualTo("BR");
        assertThat(locator.locate("2a00:1450:4001:80b::200e").location().country()).isEqualTo("DE");
        assertThat(locator.locate("::ffff:81.2.69.160").location().country()).as("IPv4-mapped").isEqualTo("GB");
    }

    @Test
    void theCompiledIpv4TableAgreesWithTheDatabaseOnEveryAddressOfASampleAndAtRangeEdges() throws Exception {
        try (GeoIpLocator reference = GeoIpLocator.open(GeoIpDatabase.path(), DEFAULT, 16);
                GeoIpLocator compiled = GeoIpLocator.openCompiled(GeoIpDatabase.path(), DEFAULT, 16)) {
            Ipv4Places table = compiled.ipv4Table().get(5, TimeUnit.MINUTES);
            assertThat(table.ranges()).isGreaterThan(100_000);
            // a second open loads what the first one saved beside the database
            try (GeoIpLocator again = GeoIpLocator.openCompiled(GeoIpDatabase.path(), DEFAULT, 16)) {
                assertThat(again.ipv4Table()).isCompleted();
                assertThat(again.ipv4Table().get().ranges()).isEqualTo(table.ranges());
            }
            SplittableRandom random = new SplittableRandom(7);
            int known = 0;
            for (int i = 0; i < 200_000; i++) {
                int ip = random.nextInt();
                // every 4th address sits on a /24 edge, where neighbouring networks meet
                if (i % 4 == 0) {
                    ip = (ip & 0xffffff00) | (random.nextBoolean() ? 0 : 0xff);
                }
                byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
                GeoIpLocator.Place expected = reference.lookup(bytes);
                assertThat(compiled.lookup(bytes)).as("%s", InetAddress.getByAddress(bytes)).isEqualTo(expected);
                known += expected == null ? 0 : 1;
            }
            assertThat(known).isGreaterThan(100_000);
        }
    }

    @Test
    void theTableBuilderFillsGapsAndMergesNeighboursAtTheSamePlace() {
        GeoIpLocator.Place paris = new GeoIpLocator.Place("FR", 48.86, 2.35);
        GeoIpLocator.Place tokyo = new GeoIpLocator.Place("JP", 35.69, 139.69);
        Ipv4Places table = Ipv4Places.of(b -> b.add(0x0a000000L, 0x0a000100L, paris).add(0x0a000100L, 0x0a000200L, paris)
                .add(0x0b000000L, 0x0b000001L, tokyo).add(0xffffff00L, 0x100000000L, tokyo));
        assertThat(table.lookup(0x0a000000)).isEqualTo(paris);
        assertThat(table.lookup(0x0a0001ff)).isEqualTo(paris);
        assertThat(table.lookup(0x0a000200)).isNull();
        assertThat(table.lookup(0x09ffffff)).isNull();
        assertThat(table.lookup(0)).isNull();
        assertThat(table.lookup(0x0b000000)).isEqualTo(tokyo);
        assertThat(table.lookup(0x0b000001)).isNull();
        assertThat(table.lookup(0xffffffff)).isEqualTo(tokyo);
        assertThat(table.places()).isEqualTo(2);
    }

    @Test
    void agreesWithGeoip2sDatabaseReaderOnEveryAddressOfASample() throws Exception {
        try (DatabaseReader reader = new DatabaseReader.Builder(GeoIpDatabase.path().toFile()).build();
                GeoIpLocator uncached = GeoIpLocator.open(GeoIpDatabase.path(), DEFAULT, 16)) {
            SplittableRandom random = new SplittableRandom(4);
            int compared = 0;
            for (int i = 0; i < 6_000; i++) {
                int ip = random.nextInt();
                byte[] bytes = {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
                if (IpLiterals.isNonPublic(bytes)) {
                    continue;
                }
                var city = reader.tryCity(InetAddress.getByAddress(bytes));
                GeoIpLocator.Place place = uncached.lookup(bytes);
                String country = city.map(c -> c.country().isoCode() != null ? c.country().isoCode() : c.registeredCountry().isoCode())
                        .orElse(null);
                if (city.isEmpty() || country == null || city.get().location().latitude() == null) {
                    assertThat(place).as("%s", InetAddress.getByAddress(bytes)).isNull();
                    continue;
                }
                assertThat(place).as("%s", InetAddress.getByAddress(bytes)).isNotNull();
                assertThat(place.country()).isEqualTo(country);
                assertThat(place.latitude()).isEqualTo(city.get().location().latitude());
                assertThat(place.longitude()).isEqualTo(city.get().location().longitude());
                compared++;
            }
            assertThat(compared).isGreaterThan(1_500);
        }
    }

    @Test
    void repeatedLookupsInOneNetworkAreServedByTheCacheWithTheSameAnswer() {
        GeoIpLocator.Place first = locator.lookup(IpLiterals.parse("193.0.6.139"));
        GeoIpLocator.Place second = locator.lookup(IpLiterals.parse("193.0.6.140"));
        assertThat(second).isSameAs(first);
        // 81.2.69.128/25 is smaller than a /24: cached per address, never for the neighbouring /25
        assertThat(locator.lookup(IpLiterals.parse("81.2.69.160"))).isEqualTo(locator.lookup(IpLiterals.parse("81.2.69.161")));
    }

    @Test
    void privateUnknownAndMalformedAddressesGetTheDefaultLocationAndSaySo() {
        assertLocation(locator.locate("10.1.2.3").location(), ClientLocation.Source.PRIVATE);
        assertLocation(locator.locate("fd12::1").location(), ClientLocation.Source.PRIVATE);
        assertLocation(locator.locate("1.1.1.1").location(), ClientLocation.Source.UNKNOWN); // anycast: no country in GeoLite2
        assertLocation(locator.locate("not-an-ip").location(), ClientLocation.Source.MALFORMED);
        assertLocation(locator.locate("999.1.1.1").location(), ClientLocation.Source.MALFORMED);
    }

    @Test
    void withoutADatabaseEveryClientGetsTheDefault() {
        try (GeoIpLocator none = GeoIpLocator.open(Path.of("/nonexistent/GeoLite2-City.mmdb"), DEFAULT, 16)) {
            assertThat(none.database()).isEmpty();
            assertLocation(none.locate("81.2.69.160").location(), ClientLocation.Source.UNKNOWN);
        }
    }

    private static void assertLocation(ClientLocation location, ClientLocation.Source source) {
        assertThat(location.source()).isEqualTo(source);
        assertThat(location.isDefault()).isTrue();
        assertThat(location.country()).isEqualTo("US");
        assertThat(location.latitude()).isEqualTo(39.04);
    }
}
