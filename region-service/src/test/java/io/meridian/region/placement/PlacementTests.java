package io.meridian.region.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.ComplianceRegime;
import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionEndpoints;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;

class PlacementTests {

    static Region region(String id, ResidencyZone zone, Set<ComplianceRegime> regimes, RegionStatus status, int cpu,
            Map<String, String> labels) {
        return new Region(RegionId.of(id), id, "local", new GeoLocation(10, 10, "US"), zone, regimes, status,
                new RegionEndpoints(URI.create("http://127.0.0.1:1"), null, List.of(),
                        new RegionEndpoints.ObjectStore(URI.create("http://127.0.0.1:2"), "bucket-" + id), URI.create("http://127.0.0.1:3")),
                new Capacity(cpu, cpu * 4), labels);
    }

    final List<Region> regions = List.of(
            region("us-east-1", ResidencyZone.US, Set.of(ComplianceRegime.CCPA, ComplianceRegime.SOC2), RegionStatus.ACTIVE, 64,
                    Map.of("tier", "gold")),
            region("us-west-2", ResidencyZone.US, Set.of(ComplianceRegime.CCPA), RegionStatus.DRAINING, 64, Map.of("tier", "gold")),
            region("eu-west-1", ResidencyZone.EU, Set.of(ComplianceRegime.GDPR, ComplianceRegime.SOC2), RegionStatus.ACTIVE, 32,
                    Map.of("tier", "gold")),
            region("eu-central-1", ResidencyZone.EU, Set.of(ComplianceRegime.GDPR), RegionStatus.DEGRADED, 8, Map.of("tier", "silver")),
            region("ap-northeast-1", ResidencyZone.APAC, Set.of(ComplianceRegime.APPI), RegionStatus.ACTIVE, 64, Map.of()));

    @Test
    void gdprDataIsPlacedOnlyInTheEuAndEveryExclusionIsExplained() {
        Placement.Result result = Placement.evaluate(new ServiceRequirements("checkout", null, Set.of(ComplianceRegime.GDPR),
                new Capacity(0, 0), Map.of()), regions);
        assertThat(result.residencyZone()).isEqualTo(ResidencyZone.EU);
        assertThat(result.eligible()).extracting(RegionId::value).containsExactly("eu-central-1", "eu-west-1");
        assertThat(result.excluded()).extracting(e -> e.region().value()).containsExactly("ap-northeast-1", "us-east-1", "us-west-2");
        assertThat(result.excluded()).allSatisfy(exclusion -> assertThat(exclusion.reasons()).extracting(Placement.Reason::code)
                .contains("residency", "compliance"));
        Placement.Exclusion usWest = result.excluded().stream().filter(e -> e.region().value().equals("us-west-2")).findFirst().orElseThrow();
        assertThat(usWest.reasons()).extracting(Placement.Reason::code).containsExactly("residency", "compliance", "status");
    }

    @Test
    void nothingOverridesResidency() {
        assertThatThrownBy(() -> new ServiceRequirements("checkout", ResidencyZone.US, Set.of(ComplianceRegime.GDPR), null, null))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("zone");
                    assertThat(e.getMessage()).contains("GDPR data must stay in zone EU");
                });
        assertThatThrownBy(() -> new ServiceRequirements("checkout", null, Set.of(ComplianceRegime.GDPR, ComplianceRegime.LGPD), null, null))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("regimes"));
        // Even a label that only a US region carries cannot pull GDPR data out of the EU.
        Placement.Result result = Placement.evaluate(new ServiceRequirements("checkout", null, Set.of(ComplianceRegime.GDPR),
                new Capacity(0, 0), Map.of("tier", "gold")), List.of(regions.get(0)));
        assertThat(result.eligible()).isEmpty();
    }

    @Test
    void capacityLabelsAndStatusFilter() {
        Placement.Result result = Placement.evaluate(new ServiceRequirements("search", null, Set.of(), new Capacity(16, 0),
                Map.of("tier", "gold")), regions);
        assertThat(result.eligible()).extracting(RegionId::value).containsExactly("eu-west-1", "us-east-1");
        Placement.Exclusion small = result.excluded().stream().filter(e -> e.region().value().equals("eu-central-1")).findFirst()
                .orElseThrow();
        assertThat(small.reasons()).extracting(Placement.Reason::code).containsExactly("capacity", "label");
        assertThat(small.reasons().get(1).message()).contains("tier=silver", "gold");
        assertThat(Placement.evaluate(new ServiceRequirements("search", null, Set.of(), null, null), regions).eligible())
                .as("DEGRADED takes new work, DRAINING does not").extracting(RegionId::value)
                .containsExactly("ap-northeast-1", "eu-central-1", "eu-west-1", "us-east-1");
        assertThatThrownBy(() -> new ServiceRequirements("Search!", null, null, null, null))
                .isInstanceOfSatisfying(InvalidFieldException.class, e -> assertThat(e.field()).isEqualTo("service"));
    }
}
