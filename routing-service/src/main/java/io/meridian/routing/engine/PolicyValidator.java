package io.meridian.routing.engine;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RuleType;

/**
 * Turns a {@link PolicyDocument} into a {@link RoutingPolicy}, or rejects it naming every invalid field
 * at once (400, type {@code validation}, {@code errors: [{field, reason}]}). Checks shapes and ranges,
 * that every region named is registered and is one of the policy's regions, and that weights are 0.1 %
 * steps summing to exactly 100 %. Whether the policy is <em>safe</em> to apply is {@code SafetyRules}'s
 * question.
 */
public final class PolicyValidator {

    /** A service name: one DNS label. */
    static final Pattern SERVICE = Pattern.compile("[a-z]([a-z0-9-]{0,61}[a-z0-9])?");
    static final int MAX_REGIONS = 64;
    static final int MAX_RULES = 16;
    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);

    private final Predicate<RegionId> registered;

    /** @param registered whether a region is registered (known to routing) */
    public PolicyValidator(Predicate<RegionId> registered) {
        this.registered = registered;
    }

    /** The validated policy; throws a 400 problem naming every invalid field. */
    public RoutingPolicy validate(PolicyDocument document) {
        List<Problems.FieldError> errors = new ArrayList<>();
        String service = document.service();
        if (service == null || service.isBlank()) {
            errors.add(error("service", "must be present"));
        } else if (!SERVICE.matcher(service).matches()) {
            errors.add(error("service", "must be a DNS label: 1-63 lowercase letters, digits or '-', starting with a letter"));
        }
        if (document.description() != null && document.description().length() > 200) {
            errors.add(error("description", "must be at most 200 characters"));
        }
        List<RegionId> regions = regionList("regions", document.regions(), true, null, errors);
        if (document.regions() != null && document.regions().size() > MAX_REGIONS) {
            errors.add(error("regions", "must name at most " + MAX_REGIONS + " regions"));
        }
        Set<RegionId> own = new LinkedHashSet<>(regions);
        Set<ResidencyZone> zones = EnumSet.noneOf(ResidencyZone.class);
        List<String> zoneNames = document.residencyZones() == null ? List.of() : document.residencyZones();
        for (int i = 0; i < zoneNames.size(); i++) {
            ResidencyZone zone = zone("residencyZones[" + i + "]", zoneNames.get(i), errors);
            if (zone != null && !zones.add(zone)) {
                errors.add(error("residencyZones[" + i + "]", "repeats " + zone));
            }
        }
        List<RoutingPolicy.Rule> rules = new ArrayList<>();
        List<PolicyDocument.RuleDocument> ruleDocuments = document.rules();
        if (ruleDocuments == null || ruleDocuments.isEmpty()) {
            errors.add(error("rules", "must list at least one rule"));
        } else if (ruleDocuments.size() > MAX_RULES) {
            errors.add(error("rules", "must list at most " + MAX_RULES + " rules"));
        } else {
            for (int i = 0; i < ruleDocuments.size(); i++) {
                RoutingPolicy.Rule rule = rule("rules[" + i + "]", ruleDocuments.get(i), own, errors);
                if (rule != null) {
                    rules.add(rule);
                }
            }
        }
        List<RegionId> fallback = regionList("fallback", document.fallback(), false, own, errors);
        if (!errors.isEmpty()) {
            throw invalid(errors);
        }
        return new RoutingPolicy(service, document.description(), regions, zones, rules, fallback);
    }

    /** A 400 validation problem naming every field in {@code errors}. */
    public static MeridianException invalid(List<Problems.FieldError> errors) {
        String detail = errors.size() == 1 ? errors.getFirst().field() + ": " + errors.getFirst().reason()
                : errors.size() + " fields are invalid: " + String.join(", ", errors.stream().map(Problems.FieldError::field).toList());
        return new MeridianException(ProblemTypes.VALIDATION, 400, "Invalid field", detail)
                .with("field", errors.getFirst().field())
                .with("errors", errors.stream().map(e -> Map.of("field", e.field(), "reason", e.reason())).toList());
    }

    private RoutingPolicy.@Nullable Rule rule(String at, PolicyDocument.@Nullable RuleDocument rule, Set<RegionId> own,
            List<Problems.FieldError> errors) {
        if (rule == null) {
            errors.add(error(at, "must not be null"));
            return null;
        }
        int before = errors.size();
        RuleType type = null;
        if (rule.type() == null) {
            errors.add(error(at + ".type", "must be present: one of " + List.of(RuleType.values())));
        } else {
            try {
                type = RuleType.valueOf(rule.type());
            } catch (IllegalArgumentException e) {
                errors.add(error(at + ".type", "unknown rule type '" + rule.type() + "'; known types: " + List.of(RuleType.values())));
            }
        }
        Double threshold = rule.healthThreshold();
        if (threshold != null && !(threshold >= 0 && threshold <= 1)) {
            errors.add(error(at + ".healthThreshold", "must be between 0 and 1"));
        }
        Double maxLatency = rule.maxLatencyMillis();
        if (maxLatency != null) {
            if (type != null && type != RuleType.LATENCY) {
                errors.add(error(at + ".maxLatencyMillis", "applies to LATENCY rules only"));
            } else if (!(maxLatency > 0 && maxLatency <= 60_000)) {
                errors.add(error(at + ".maxLatencyMillis", "must be above 0 and at most 60000"));
            }
        }
        Map<String, List<RegionId>> countries = new LinkedHashMap<>();
        if (rule.countries() != null && !rule.countries().isEmpty()) {
            if (type != null && type != RuleType.GEOGRAPHIC) {
                errors.add(error(at + ".countries", "applies to GEOGRAPHIC rules only"));
            }
            rule.countries().forEach((country, ids) -> {
                String field = at + ".countries." + country;
                if (!COUNTRIES.contains(country)) {
                    errors.add(error(field, "'" + country + "' is not an upper-case ISO 3166-1 alpha-2 country code"));
                }
                countries.put(country, regionList(field, ids, true, own, errors));
            });
        }
        Map<ResidencyZone, List<RegionId>> zones = new LinkedHashMap<>();
        if (rule.zones() != null && !rule.zones().isEmpty()) {
            if (type != null && type != RuleType.GEOGRAPHIC) {
                errors.add(error(at + ".zones", "applies to GEOGRAPHIC rules only"));
            }
            rule.zones().forEach((name, ids) -> {
                String field = at + ".zones." + name;
                ResidencyZone zone = zone(field, name, errors);
                List<RegionId> list = regionList(field, ids, true, own, errors);
                if (zone != null) {
                    zones.put(zone, list);
                }
            });
        }
        Map<RegionId, Integer> weights = new LinkedHashMap<>();
        if (rule.weights() != null && !rule.weights().isEmpty()) {
            if (type != null && type != RuleType.WEIGHTED) {
                errors.add(error(at + ".weights", "applies to WEIGHTED rules only"));
            }
            int sum = 0;
            boolean weightedRule = type == null || type == RuleType.WEIGHTED;
            boolean allValid = true;
            for (Map.Entry<String, BigDecimal> entry : weightedRule ? rule.weights().entrySet() : Map.<String, BigDecimal>of().entrySet()) {
                String field = at + ".weights." + entry.getKey();
                RegionId id = region(field, entry.getKey(), own, errors);
                Integer perMille = id == null ? null : perMille(field, entry.getValue(), errors);
                if (id == null || perMille == null) {
                    allValid = false;
                    continue;
                }
                weights.put(id, perMille);
                sum += perMille;
            }
            if (weightedRule && allValid && sum != 1000) {
                errors.add(error(at + ".weights", "must sum to exactly 100 (they sum to " + BigDecimal.valueOf(sum, 1) + ")"));
            }
        } else if (type == RuleType.WEIGHTED) {
            errors.add(error(at + ".weights", "must name at least one region for a WEIGHTED rule"));
        }
        int minHealthyWeight = 0;
        if (rule.minHealthyWeight() != null) {
            if (type != null && type != RuleType.WEIGHTED) {
                errors.add(error(at + ".minHealthyWeight", "applies to WEIGHTED rules only"));
            } else {
                Integer value = perMille(at + ".minHealthyWeight", rule.minHealthyWeight(), errors);
                minHealthyWeight = value == null ? 0 : value;
            }
        }
        if (errors.size() > before || type == null) {
            return null;
        }
        return new RoutingPolicy.Rule(type, threshold, maxLatency, countries, zones, weights, minHealthyWeight);
    }

    private List<RegionId> regionList(String field, @Nullable List<String> ids, boolean required, @Nullable Set<RegionId> own,
            List<Problems.FieldError> errors) {
        if (ids == null || ids.isEmpty()) {
            if (required) {
                errors.add(error(field, "must name at least one region"));
            }
            return List.of();
        }
        List<RegionId> result = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            RegionId id = region(field + "[" + i + "]", ids.get(i), own, errors);
            if (id != null) {
                if (result.contains(id)) {
                    errors.add(error(field + "[" + i + "]", "repeats " + id));
                } else {
                    result.add(id);
                }
            }
        }
        return result;
    }

    private @Nullable RegionId region(String field, @Nullable String value, @Nullable Set<RegionId> own, List<Problems.FieldError> errors) {
        if (value == null || !RegionId.isValid(value)) {
            errors.add(error(field, "'" + value + "' is not a region id (like 'eu-west-1')"));
            return null;
        }
        RegionId id = RegionId.of(value);
        if (own == null) {
            if (!registered.test(id)) {
                errors.add(error(field, "unknown region '" + id + "': not in the region registry"));
                return null;
            }
        } else if (!own.contains(id)) {
            errors.add(error(field, "region '" + id + "' is not one of the policy's regions"));
            return null;
        }
        return id;
    }

    private static @Nullable ResidencyZone zone(String field, @Nullable String value, List<Problems.FieldError> errors) {
        for (ResidencyZone zone : ResidencyZone.values()) {
            if (zone.name().equals(value)) {
                return zone;
            }
        }
        errors.add(error(field, "unknown zone '" + value + "'; known zones: " + ResidencyZone.names()));
        return null;
    }

    private static @Nullable Integer perMille(String field, @Nullable BigDecimal percent, List<Problems.FieldError> errors) {
        if (percent == null) {
            errors.add(error(field, "must be a percentage"));
            return null;
        }
        if (percent.signum() < 0 || percent.compareTo(HUNDRED) > 0) {
            errors.add(error(field, "must be between 0 and 100 percent"));
            return null;
        }
        BigDecimal tenths = percent.movePointRight(1);
        if (tenths.stripTrailingZeros().scale() > 0) {
            errors.add(error(field, "must be in steps of 0.1 percent (was " + percent.toPlainString() + ")"));
            return null;
        }
        return tenths.intValueExact();
    }

    private static Problems.FieldError error(String field, String reason) {
        return new Problems.FieldError(field, reason);
    }
}
