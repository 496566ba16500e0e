package io.meridian.routing.engine;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.meridian.common.region.RegionId;
import io.meridian.common.routing.RuleType;

/**
 * A routing policy as operators write and read it ({@code /api/v1/routing/policies}). Every member is
 * optional here so that {@link PolicyValidator} can name every invalid field at once; weights are
 * percentages with at most one decimal (0.1 % steps).
 *
 * @param service        the service, a DNS label: 1-63 lowercase letters, digits or '-'
 * @param description    free text, at most 200 characters
 * @param regions        region ids the service runs in (at least one)
 * @param residencyZones zones its data is tagged for ({@code EU}, {@code US}, ...); omit for none
 * @param rules          ordered rules (1-16)
 * @param fallback       region ids to use, in order, when no rule decides
 * @param version        read-only: the policy's version (also its ETag); ignored on input
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PolicyDocument(@Nullable String service, @Nullable String description, @Nullable List<String> regions,
        @Nullable List<String> residencyZones, @Nullable List<RuleDocument> rules, @Nullable List<String> fallback,
        @Nullable Long version) {

    /**
     * One rule.
     *
     * @param type             {@code GEOGRAPHIC}, {@code LATENCY}, {@code HEALTH} or {@code WEIGHTED}
     * @param healthThreshold  0-1: regions with a lower health score are skipped by this rule (default: the configured one)
     * @param maxLatencyMillis LATENCY: regions with a longer round trip from the client are skipped (0-60000]
     * @param countries        GEOGRAPHIC: ISO country code to region ids, in preference order
     * @param zones            GEOGRAPHIC: residency zone of the client's country to region ids
     * @param weights          WEIGHTED: region id to percent, 0-100 in 0.1 steps, summing to exactly 100
     * @param minHealthyWeight WEIGHTED: percent of the weight that must be on healthy regions for the rule to decide
     */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record RuleDocument(@Nullable String type, @Nullable Double healthThreshold, @Nullable Double maxLatencyMillis,
            @Nullable Map<String, List<String>> countries, @Nullable Map<String, List<String>> zones,
            @Nullable Map<String, BigDecimal> weights, @Nullable BigDecimal minHealthyWeight) {
    }

    /** The document of a validated policy at {@code version}. */
    public static PolicyDocument of(RoutingPolicy policy, @Nullable Long version) {
        return new PolicyDocument(policy.service(), policy.description(), ids(policy.regions()),
                policy.residencyZones().stream().map(Enum::name).sorted().toList(),
                policy.rules().stream().map(PolicyDocument::rule).toList(), ids(policy.fallback()), version);
    }

    private static RuleDocument rule(RoutingPolicy.Rule rule) {
        Map<String, List<String>> countries = rule.countries().isEmpty() ? null : new TreeMap<>(rule.countries().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> ids(e.getValue()))));
        Map<String, List<String>> zones = rule.zones().isEmpty() ? null : new TreeMap<>(rule.zones().entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().name(), e -> ids(e.getValue()))));
        Map<String, BigDecimal> weights = rule.weights().isEmpty() ? null : new TreeMap<>(rule.weights().entrySet().stream()
                .collect(Collectors.toMap(e -> e.getKey().value(), e -> percent(e.getValue()))));
        return new RuleDocument(rule.type().name(), rule.healthThreshold(), rule.maxLatencyMillis(), countries, zones, weights,
                rule.type() == RuleType.WEIGHTED ? percent(rule.minHealthyWeight()) : null);
    }

    private static List<String> ids(List<RegionId> ids) {
        return ids.stream().map(RegionId::value).toList();
    }

    private static BigDecimal percent(int perMille) {
        return BigDecimal.valueOf(perMille).divide(BigDecimal.TEN, 1, RoundingMode.UNNECESSARY);
    }
}
