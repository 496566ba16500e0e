package io.meridian.common.region;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.RegionEndpoints.DatabaseEndpoint;
import io.meridian.common.region.RegionEndpoints.DatabaseRole;
import io.meridian.common.region.RegionEndpoints.ObjectStore;

class RegionModelTests {

    static RegionEndpoints endpoints() {
        return new RegionEndpoints(URI.create("http://127.0.0.1:6443"), "eu-west-1",
                List.of(new DatabaseEndpoint("app", "jdbc:postgresql://127.0.0.1:5433/app", DatabaseRole.PRIMARY)),
                new ObjectStore(URI.create("http://127.0.0.1:9000"), "meridian-eu-west-1"), URI.create("http://127.0.0.1:8101"));
    }

    static Region euWest(Set<ComplianceRegime> regimes, ResidencyZone zone) {
        return new Region(RegionId.of("eu-west-1"), "Europe (Ireland)", "aws", new GeoLocation(53.35, -6.26, "IE"), zone,
                regimes, RegionStatus.ACTIVE, endpoints(), new Capacity(64, 256), Map.of("tier", "gold"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"eu-west-1", "us-east-1", "ap-northeast-1", "us-gov-east-2", "me-central-10"})
    void acceptsCloudShapedIds(String id) {
        assertThat(RegionId.of(id).value()).isEqualTo(id);
        assertThat(RegionId.isValid(id)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "EU-west-1", "eu_west_1", "euwest1", "eu-west", "eu-west-", "e-west-1", "eu-west-1a",
            "eu-west-1/../x", "eu-west-1234", "eu-west-1\n"})
    void rejectsMalformedIdsNamingTheField(String id) {
        assertThatThrownBy(() -> RegionId.of(id)).isInstanceOfSatisfying(InvalidFieldException.class,
                e -> assertThat(e.field()).isEqualTo("id"));
        assertThat(RegionId.isValid(id)).isFalse();
    }

    @Test
    void rejectsOverlongIds() {
        String id = "eu-" + "a".repeat(40) + "-1";
        assertThatThrownBy(() -> RegionId.of(id)).hasMessageContaining("at most 40");
    }

    @Test
    void coordinatesAreCheckedAndNamed() {
        assertThatThrownBy(() -> new GeoLocation(90.1, 0, "IE")).isInstanceOfSatisfying(InvalidFieldException.class,
                e -> assertThat(e.field()).isEqualTo("latitude"));
        assertThatThrownBy(() -> new GeoLocation(0, -180.5, "IE")).isInstanceOfSatisfying(InvalidFieldException.class,
                e -> assertThat(e.field()).isEqualTo("longitude"));
        assertThatThrownBy(() -> new GeoLocation(Double.NaN, 0, "IE")).isInstanceOf(InvalidFieldException.class);
        assertThatThrownBy(() -> new GeoLocation(0, 0, "XX")).isInstanceOfSatisfying(InvalidFieldException.class,
                e -> assertThat(e.field()).isEqualTo("country"));
        assertThatThrownBy(() -> new GeoLocation(0, 0, "ie")).isInstanceOf(InvalidFieldException.class);
    }

    @Test
    void greatCircleDistanceMatchesKnownCityPairs() {
        GeoLocation dublin = new GeoLocation(53.3498, -6.2603, "IE");
        GeoLocation tokyo = new GeoLocation(35.6762, 139.6503, "JP");
        GeoLocation ashburn = new GeoLocation(39.0438, -77.4874, "US");
        // Reference great-circle distances: Dublin-Tokyo about 9,600 km, Dublin-Ashburn about 5,500 km.
        assertThat(dublin.distanceKm(tokyo)).isBetween(9_550.0, 9_650.0);
        assertThat(dublin.distanceKm(ashburn)).isBetween(5_450.0, 5_600.0);
        assertThat(dublin.distanceKm(dublin)).isZero();
        assertThat(tokyo.distanceKm(dublin)).isEqualTo(dublin.distanceKm(tokyo));
        // Antipodes do not overflow asin.
        assertThat(new GeoLocation(0, 0, "GH").distanceKm(new GeoLocation(0, 180, "KI"))).isBetween(20_015.0, 20_016.0);
        assertThat(dublin.estimatedRttMillis(ashburn)).isBetween(80.0, 90.0);
    }

    @Test
    void statusLifecycleAllowsOnlyLegalMoves() {
        assertThat(RegionStatus.FAILED.canTransitionTo(RegionStatus.ACTIVE)).isFalse();
        assertThat(RegionStatus.FAILED.allowedTransitions()).containsExactlyInAnyOrder(RegionStatus.DEGRADED, RegionStatus.MAINTENANCE);
        assertThat(RegionStatus.DEGRADED.canTransitionTo(RegionStatus.ACTIVE)).isTrue();
        assertThat(RegionStatus.DRAINING.canTransitionTo(RegionStatus.DEGRADED)).isFalse();
        for (RegionStatus status : RegionStatus.values()) {
            assertThat(status.canTransitionTo(status)).as("%s to itself", status).isFalse();
            if (status != RegionStatus.FAILED) {
                assertThat(status.canTransitionTo(RegionStatus.FAILED)).as("%s can fail", status).isTrue();
            }
        }
        // Recovery path: FAILED -> DEGRADED -> ACTIVE.
        Region failed = euWest(Set.of(), ResidencyZone.EU).withStatus(RegionStatus.FAILED);
        assertThatThrownBy(() -> failed.withStatus(RegionStatus.ACTIVE)).isInstanceOfSatisfying(IllegalTransitionException.class,
                e -> {
                    assertThat(e.status()).isEqualTo(409);
                    assertThat(e.allowed()).containsExactly("DEGRADED", "MAINTENANCE");
                });
        assertThat(failed.withStatus(RegionStatus.DEGRADED).withStatus(RegionStatus.ACTIVE).status()).isEqualTo(RegionStatus.ACTIVE);
    }

    @Test
    void trafficRulesFollowStatus() {
        assertThat(EnumSet.allOf(RegionStatus.class).stream().filter(RegionStatus::acceptsNewTraffic))
                .containsExactlyInAnyOrder(RegionStatus.ACTIVE, RegionStatus.DEGRADED);
        assertThat(RegionStatus.DRAINING.acceptsNewTraffic()).isFalse();
        assertThat(RegionStatus.DRAINING.servesExistingTraffic()).isTrue();
        assertThat(RegionStatus.FAILED.servesExistingTraffic()).isFalse();
    }

    @Test
    void regimesMustMatchTheZone() {
        assertThat(euWest(Set.of(ComplianceRegime.GDPR, ComplianceRegime.SOC2), ResidencyZone.EU).regimes())
                .containsExactlyInAnyOrder(ComplianceRegime.GDPR, ComplianceRegime.SOC2);
        assertThatThrownBy(() -> euWest(Set.of(ComplianceRegime.GDPR), ResidencyZone.US))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("regimes");
                    assertThat(e.getMessage()).contains("GDPR keeps data in zone EU");
                });
        Region eu = euWest(Set.of(ComplianceRegime.GDPR), ResidencyZone.EU);
        assertThat(eu.mayHold(ComplianceRegime.GDPR)).isTrue();
        assertThat(eu.mayHold(ComplianceRegime.CCPA)).isFalse();
        assertThat(eu.mayHold(ComplianceRegime.HIPAA)).isTrue();
    }

    @Test
    void unknownZonesAndRegimesListTheKnownOnes() {
        assertThat(ResidencyZone.parse("zone", "EU")).isEqualTo(ResidencyZone.EU);
        assertThatThrownBy(() -> ResidencyZone.parse("zone", "MARS")).isInstanceOfSatisfying(InvalidFieldException.class, e -> {
            assertThat(e.field()).isEqualTo("zone");
            assertThat(e.getMessage()).contains("EU", "US", "APAC");
        });
        assertThatThrownBy(() -> ComplianceRegime.parse("regimes[0]", "gdpr")).isInstanceOfSatisfying(InvalidFieldException.class,
                e -> assertThat(e.field()).isEqualTo("regimes[0]"));
    }

    @Test
    void endpointsRejectBadUrlsAndNames() {
        assertThatThrownBy(() -> new RegionEndpoints(URI.create("ftp://x"), null, List.of(),
                new ObjectStore(URI.create("http://s3"), "bucket-a"), URI.create("http://in")))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("kubernetesApi"));
        assertThatThrownBy(() -> new RegionEndpoints(URI.create("http://k"), null, List.of(),
                new ObjectStore(URI.create("http://s3"), "bucket-a"), URI.create("/relative")))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("ingressUrl"));
        assertThatThrownBy(() -> new RegionEndpoints(URI.create("http://user:pw@k"), null, List.of(),
                new ObjectStore(URI.create("http://s3"), "bucket-a"), URI.create("http://in")))
                .hasMessageContaining("credentials");
        assertThatThrownBy(() -> new ObjectStore(URI.create("http://s3"), "Bad_Bucket"))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("bucket"));
        assertThatThrownBy(() -> new DatabaseEndpoint("app", "jdbc:mysql://h/db", DatabaseRole.PRIMARY))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("jdbcUrl"));
        DatabaseEndpoint app = new DatabaseEndpoint("app", "jdbc:postgresql://h:5432/app", DatabaseRole.PRIMARY);
        assertThatThrownBy(() -> new RegionEndpoints(URI.create("http://k"), null, List.of(app, app),
                new ObjectStore(URI.create("http://s3"), "bucket-a"), URI.create("http://in")))
                .hasMessageContaining("unique");
    }

    @Test
    void regionRejectsBadScalarsAndLabels() {
        assertThatThrownBy(() -> new Region(RegionId.of("eu-west-1"), "", "aws", new GeoLocation(1, 1, "IE"), ResidencyZone.EU,
                Set.of(), RegionStatus.ACTIVE, endpoints(), new Capacity(1, 1), Map.of()))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("displayName"));
        assertThatThrownBy(() -> new Region(RegionId.of("eu-west-1"), "x", "AWS!", new GeoLocation(1, 1, "IE"), ResidencyZone.EU,
                Set.of(), RegionStatus.ACTIVE, endpoints(), new Capacity(1, 1), Map.of()))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("provider"));
        assertThatThrownBy(() -> new Region(RegionId.of("eu-west-1"), "x", "aws", new GeoLocation(1, 1, "IE"), ResidencyZone.EU,
                Set.of(), RegionStatus.ACTIVE, endpoints(), new Capacity(1, 1), Map.of("bad key!", "v")))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("labels"));
        assertThatThrownBy(() -> new Capacity(-1, 1)).isInstanceOfSatisfying(InvalidFieldException.class,
                e -> assertThat(e.field()).isEqualTo("cpuCores"));
        assertThat(new Capacity(8, 32).covers(new Capacity(8, 16))).isTrue();
        assertThat(new Capacity(8, 32).covers(new Capacity(9, 16))).isFalse();
        assertThat(new InvalidFieldException("latitude", "out of range").nestedIn("location").field()).isEqualTo("location.latitude");
    }
}
