package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;

import io.meridian.common.region.ComplianceRegime;
import io.meridian.common.region.ResidencyZone;

/** The seeds are valid regions and put each part of each region on its documented port. */
class RegionSeedsTests {

    @Test
    void theFourRegionsAreValidAndOnTheirPorts() {
        List<RegionSeeds.Seed> seeds = RegionSeeds.load();

        assertThat(seeds).extracting(RegionSeeds.Seed::id)
                .containsExactly("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1");
        assertThat(seeds).extracting(RegionSeeds.Seed::postgresPort).containsExactly(15433, 15434, 15435, 15436);
        assertThat(seeds).extracting(RegionSeeds.Seed::appPort).containsExactly(18101, 18102, 18103, 18104);
        assertThat(seeds).extracting(RegionSeeds.Seed::kubernetesPort).containsExactly(16443, 16444, 16445, 16446);
        assertThat(seeds).extracting(RegionSeeds.Seed::bucket)
                .containsExactly("meridian-us-east-1", "meridian-us-west-2", "meridian-eu-west-1", "meridian-ap-northeast-1");
        assertThat(seeds).extracting(RegionSeeds.Seed::imageRegistry).allMatch(r -> r.matches("registry\\.[a-z0-9-]+\\.local:5000"));
    }

    @Test
    void usWest2IsAStreamingStandbyOfUsEast1() {
        RegionSeeds.Seed oregon = RegionSeeds.load().get(1);

        assertThat(oregon.isStandby()).isTrue();
        assertThat(oregon.standbyOf()).isEqualTo("us-east-1");
        assertThat(oregon.slot()).isEqualTo("us_west_2");
        assertThat(oregon.region().endpoints().databases().getFirst().role().name()).isEqualTo("STANDBY");
    }

    @Test
    void zonesAndRegimesMatchTheRegions() {
        List<RegionSeeds.Seed> seeds = RegionSeeds.load();

        assertThat(seeds.get(2).region().zone()).isEqualTo(ResidencyZone.EU);
        assertThat(seeds.get(2).region().regimes()).containsExactlyInAnyOrder(ComplianceRegime.GDPR, ComplianceRegime.SOC2);
        assertThat(seeds.get(3).region().zone()).isEqualTo(ResidencyZone.APAC);
        assertThat(seeds.get(3).region().regimes()).contains(ComplianceRegime.APPI);
    }

    @Test
    void routingPolicySeedsCoverTheFourRuleKindsAndNameOnlySeededRegions() {
        List<String> regions = RegionSeeds.load().stream().map(RegionSeeds.Seed::id).toList();
        assertThat(RegionSeeds.routingPolicies()).extracting(p -> p.get("service").asString())
                .containsExactly("sample", "sample-weighted", "sample-eu");
        assertThat(RegionSeeds.routingPolicies().stream().flatMap(p -> p.path("rules").valueStream()).map(r -> r.get("type").asString()))
                .contains("GEOGRAPHIC", "LATENCY", "HEALTH", "WEIGHTED");
        assertThat(RegionSeeds.routingPolicies().stream().flatMap(p -> p.path("regions").valueStream()).map(JsonNode::asString))
                .allMatch(regions::contains);
    }
}
