package io.meridian.routing.geo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.maxmind.geoip2.DatabaseReader;

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
