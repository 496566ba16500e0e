package io.meridian.routing.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionEndpoints;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;

class SafetyRulesTests {

    private final Map<RegionId, Region> registry = new HashMap<>();
    private final Map<RegionId, Double> health = new HashMap<>();

    SafetyRulesTests() {
        register("eu-west-1", ResidencyZone.EU, RegionStatus.ACTIVE);
        register("eu-central-1", ResidencyZone.EU, RegionStatus.ACTIVE);
        register("us-east-1", ResidencyZone.US, RegionStatus.ACTIVE);
    }

    private void register(String id, ResidencyZone zone, RegionStatus status) {
        RegionEndpoints endpoints = new RegionEndpoints(URI.create("https://k8s." + id + ".example"), null, List.of(),
                new RegionEndpoints.ObjectStore(URI.create("https://s3." + id + ".example"), "bucket-" + id),
                URI.create("https://192.0.2.1"));
        registry.put(RegionId.of(id), new Region(RegionId.of(id), id, "aws", new GeoLocation(50, 0, zone == ResidencyZone.EU ? "IE" : "US"),
                zone, Set.of(), status, endpoints, new Capacity(1, 1), Map.of()));
    }

    private StoredPolicy policy(List<String> regions, Set<ResidencyZone> zones, List<String> fallback) {
        return new StoredPolicy(new RoutingPolicy("checkout", null, regions.stream().map(RegionId::of).toList(), zones,
                List.of(new RoutingPolicy.Rule(RuleType.LATENCY, null, null, Map.of(), Map.of(), Map.of(), 0)),
                fallback.stream().map(RegionId::of).toList()), 1, Instant.EPOCH, Instant.EPOCH);
    }

    private List<SafetyRules.Violation> check(StoredPolicy after, StoredPolicy before) {
        RoutingInputs inputs = new RoutingInputs(registry, health, Set.of(), Map.of(), Map.of(), Map.of(), Map.of(), 0.5);
        RoutingTable candidate = TableCompiler.compile(after, inputs);
        return SafetyRules.check(after.policy(), candidate, registry, before == null ? null : before.policy(),
                before == null ? null : TableCompiler.compile(before, inputs));
    }

    @Test
    void aZoneTaggedServiceMayNotNameARegionOutsideItsZone() {
        List<SafetyRules.Violation> violations = check(policy(List.of("eu-west-1", "us-east-1"), Set.of(ResidencyZone.EU), List.of()), null);

        assertThat(violations).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(SafetyRules.OUT_OF_ZONE);
            assertThat(v.regions()).containsExactly("us-east-1");
            assertThat(v.message()).contains("tagged for [EU]").contains("us-east-1 (US)");
        });
        assertThatThrownBy(() -> SafetyRules.enforce("checkout", violations)).isInstanceOfSatisfying(MeridianException.class, e -> {
            assertThat(e.status()).isEqualTo(409);
            assertThat(e.type()).isEqualTo(SafetyRules.PROBLEM);
            assertThat(e.properties()).containsEntry("safetyRule", "out-of-zone");
        });
    }

    @Test
    void aChangeThatLeavesNoHealthyRegionIsRejected() {
        health.put(RegionId.of("eu-west-1"), 0.2);
        register("eu-central-1", ResidencyZone.EU, RegionStatus.MAINTENANCE);

        List<SafetyRules.Violation> violations = check(policy(List.of("eu-west-1", "eu-central-1"), Set.of(), List.of()), null);

        assertThat(violations).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(SafetyRules.NO_HEALTHY_REGION);
            assertThat(v.message()).contains("no healthy region").contains("eu-central-1 MAINTENANCE").contains("eu-west-1 ACTIVE, health 0.2");
        });
    }

    @Test
    void eachResidencyZoneNeedsAHealthyRegion() {
        register("eu-west-1", ResidencyZone.EU, RegionStatus.FAILED);
        register("eu-central-1", ResidencyZone.EU, RegionStatus.DRAINING);
        StoredPolicy policy = policy(List.of("eu-west-1", "eu-central-1", "us-east-1"), Set.of(ResidencyZone.EU, ResidencyZone.US), List.of());

        assertThat(check(policy, null)).singleElement().satisfies(v -> {
            assertThat(v.rule()).isEqualTo(SafetyRules.NO_HEALTHY_REGION);
            assertThat(v.message()).contains("no healthy region in zone EU");
        });
    }

    @Test
    void aRuleTheCurrentStateAlreadyBreaksDoesNotBlockARepair() {
        register("eu-west-1", ResidencyZone.EU, RegionStatus.FAILED);
        register("eu-central-1", ResidencyZone.EU, RegionStatus.FAILED);
        StoredPolicy before = policy(List.of("eu-west-1", "eu-central-1"), Set.of(), List.of());
        StoredPolicy after = policy(List.of("eu-west-1", "eu-central-1"), Set.of(), List.of("eu-west-1"));

        assertThat(check(after, before)).isEmpty();
        assertThat(check(policy(List.of("eu-west-1", "eu-central-1", "us-east-1"), Set.of(), List.of()), before)).isEmpty();
    }
}
