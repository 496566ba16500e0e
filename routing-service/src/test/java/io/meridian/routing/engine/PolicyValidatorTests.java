package io.meridian.routing.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RuleType;

class PolicyValidatorTests {

    private static final Set<String> REGISTERED = Set.of("us-east-1", "us-west-2", "eu-west-1");
    private final PolicyValidator validator = new PolicyValidator(id -> REGISTERED.contains(id.value()));

    private static PolicyDocument.RuleDocument weighted(Map<String, BigDecimal> weights) {
        return new PolicyDocument.RuleDocument("WEIGHTED", null, null, null, null, weights, null);
    }

    @Test
    void aValidPolicyBecomesTheDomainWithWeightsInPerMille() {
        PolicyDocument document = new PolicyDocument("checkout", "the shop", List.of("us-east-1", "us-west-2", "eu-west-1"), List.of("US"),
                List.of(new PolicyDocument.RuleDocument("GEOGRAPHIC", 0.8, null, Map.of("DE", List.of("eu-west-1")),
                                Map.of("US", List.of("us-east-1")), null, null),
                        new PolicyDocument.RuleDocument("WEIGHTED", null, null, null, null,
                                Map.of("us-east-1", new BigDecimal("94.9"), "us-west-2", new BigDecimal("5.1")), new BigDecimal("50")),
                        new PolicyDocument.RuleDocument("LATENCY", null, 120.0, null, null, null, null)),
                List.of("us-west-2"), 99L);

        RoutingPolicy policy = validator.validate(document);

        assertThat(policy.residencyZones()).containsExactly(ResidencyZone.US);
        assertThat(policy.rules()).extracting(RoutingPolicy.Rule::type).containsExactly(RuleType.GEOGRAPHIC, RuleType.WEIGHTED, RuleType.LATENCY);
        assertThat(policy.rules().get(1).weights()).containsEntry(RegionId.of("us-east-1"), 949).containsEntry(RegionId.of("us-west-2"), 51);
        assertThat(policy.rules().get(1).minHealthyWeight()).isEqualTo(500);
        assertThat(PolicyDocument.of(policy, 3L).rules().get(1).weights()).containsEntry("us-west-2", new BigDecimal("5.1"));
    }

    @Test
    void everyInvalidFieldIsNamedAtOnce() {
        PolicyDocument document = new PolicyDocument("Bad Name", "x".repeat(201), List.of("us-east-1", "nowhere", "ap-south-9", "us-east-1"),
                List.of("MARS"),
                List.of(new PolicyDocument.RuleDocument("TELEPATHIC", 1.5, null, null, null, null, null),
                        new PolicyDocument.RuleDocument("LATENCY", null, -3.0, Map.of("XX", List.of("us-east-1")), null, null, null),
                        weighted(Map.of("us-east-1", new BigDecimal("95.05"), "eu-west-1", new BigDecimal("4.95"))),
                        weighted(Map.of("us-east-1", new BigDecimal("90"), "us-west-2", new BigDecimal("9.9")))),
                List.of("us-west-2"), null);

        assertThatThrownBy(() -> validator.validate(document)).isInstanceOfSatisfying(MeridianException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.properties().get("field")).isEqualTo("service");
            @SuppressWarnings("unchecked")
            List<Map<String, String>> errors = (List<Map<String, String>>) e.properties().get("errors");
            assertThat(errors).extracting(m -> m.get("field")).containsExactlyInAnyOrder(
                    "service", "description", "regions[1]", "regions[2]", "regions[3]", "residencyZones[0]",
                    "rules[0].type", "rules[0].healthThreshold",
                    "rules[1].maxLatencyMillis", "rules[1].countries", "rules[1].countries.XX",
                    "rules[2].weights.us-east-1", "rules[2].weights.eu-west-1",
                    "rules[3].weights.us-west-2",
                    "fallback[0]");
            assertThat(errors).anySatisfy(m -> assertThat(m.get("reason")).contains("steps of 0.1 percent"));
            assertThat(errors).anySatisfy(m -> assertThat(m.get("reason")).contains("unknown region 'ap-south-9'"));
        });
    }

    @Test
    void weightsMustSumToExactlyOneHundredPercent() {
        PolicyDocument document = new PolicyDocument("checkout", null, List.of("us-east-1", "us-west-2"), null,
                List.of(weighted(Map.of("us-east-1", new BigDecimal("90"), "us-west-2", new BigDecimal("9.9")))), null, null);

        assertThatThrownBy(() -> validator.validate(document)).isInstanceOfSatisfying(MeridianException.class,
                e -> assertThat(e.getMessage()).isEqualTo("rules[0].weights: must sum to exactly 100 (they sum to 99.9)"));
    }

    @Test
    void missingMembersAreNamed() {
        assertThatThrownBy(() -> validator.validate(new PolicyDocument(null, null, null, null, null, null, null)))
                .isInstanceOfSatisfying(MeridianException.class, e -> {
                    @SuppressWarnings("unchecked")
                    List<Map<String, String>> errors = (List<Map<String, String>>) e.properties().get("errors");
                    assertThat(errors).extracting(m -> m.get("field")).containsExactly("service", "regions", "rules");
                });
    }

    @Test
    void optionsOfOtherRuleTypesAreRejected() {
        PolicyDocument document = new PolicyDocument("checkout", null, List.of("us-east-1"), null,
                List.of(new PolicyDocument.RuleDocument("HEALTH", 0.9, 100.0, null, null, Map.of("us-east-1", BigDecimal.TEN),
                        BigDecimal.ONE)), null, null);

        assertThatThrownBy(() -> validator.validate(document)).isInstanceOfSatisfying(MeridianException.class, e -> {
            @SuppressWarnings("unchecked")
            List<Map<String, String>> errors = (List<Map<String, String>>) e.properties().get("errors");
            assertThat(errors).extracting(m -> m.get("field")).containsExactlyInAnyOrder("rules[0].maxLatencyMillis", "rules[0].weights",
                    "rules[0].minHealthyWeight");
        });
    }
}
