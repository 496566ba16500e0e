package io.meridian.region.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.meridian.common.problem.Problems.FieldError;
import tools.jackson.databind.JsonNode;

/**
 * Checks value layers. Any JSON object is accepted as values, but keys must be sane and the values
 * the standard template relies on must have the right shape wherever a layer sets them, so a bad
 * image registry is refused when it is written, not when a deployment renders it. Every violation is
 * reported, each naming its field ({@code values.image.registry}).
 */
public final class ValueRules {

    /** Largest accepted nesting depth of a value layer. */
    static final int MAX_DEPTH = 16;

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.-]{1,253}");
    /** host[:port][/path] of an OCI registry, as Docker accepts it in an image reference. */
    private static final Pattern REGISTRY = Pattern.compile(
            "[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*");
    private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*");
    private static final Pattern CONFIG_KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");
    private static final Pattern PERCENT = Pattern.compile("([0-9]|[1-9][0-9]|100)%");
    private static final Pattern ABSOLUTE_PATH = Pattern.compile("/[^\\s]*");

    /** Values of {@code drift.policy}. */
    public static final Set<String> DRIFT_POLICIES = Set.of("correct", "report");

    private ValueRules() {
    }

    /** Every problem of one layer's values, fields prefixed with {@code prefix} ({@code values}). */
    public static List<FieldError> check(JsonNode values, String prefix) {
        List<FieldError> errors = new ArrayList<>();
        if (!values.isObject()) {
            errors.add(new FieldError(prefix, "must be a JSON object"));
            return errors;
        }
        checkKeys(values, prefix, 1, errors);
        checkKnown(values, prefix, errors);
        return errors;
    }

    /** Problems only visible once the layers are merged (for example minReplicas above maxReplicas). */
    public static List<FieldError> checkMerged(JsonNode merged) {
        List<FieldError> errors = new ArrayList<>(check(merged, "values"));
        JsonNode min = Values.at(merged, List.of("autoscaling", "minReplicas"));
        JsonNode max = Values.at(merged, List.of("autoscaling", "maxReplicas"));
        if (min != null && max != null && min.isIntegralNumber() && max.isIntegralNumber() && min.asInt() > max.asInt()) {
            errors.add(new FieldError("values.autoscaling.minReplicas", "is " + min.asInt() + ", above autoscaling.maxReplicas ("
                    + max.asInt() + ") once the layers are merged"));
        }
        return errors;
    }

    private static void checkKeys(JsonNode node, String path, int depth, List<FieldError> errors) {
        if (depth > MAX_DEPTH) {
            errors.add(new FieldError(path, "nests deeper than " + MAX_DEPTH + " levels"));
            return;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                String child = path + "." + entry.getKey();
                if (!KEY.matcher(entry.getKey()).matches()) {
                    errors.add(new FieldError(child, "key must be 1-253 letters, digits, '_', '.' or '-'"));
                }
                checkKeys(entry.getValue(), child, depth + 1, errors);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkKeys(node.get(i), path + "[" + i + "]", depth + 1, errors);
            }
        }
    }

    private static void checkKnown(JsonNode values, String prefix, List<FieldError> errors) {
        object(values, "image", prefix, errors);
        string(values, "image.registry", prefix, errors, REGISTRY, "must be a registry host[:port][/path], like registry.eu-west-1.local:5000");
        string(values, "image.repository", prefix, errors, REPOSITORY, "must be an image repository path, like meridian/checkout");
        oneOf(values, "image.pullPolicy", prefix, errors, Set.of("Always", "IfNotPresent", "Never"));
        integer(values, "replicas", prefix, errors, 0, 1000);
        integer(values, "port", prefix, errors, 1, 65535);
        object(values, "autoscaling", prefix, errors);
        bool(values, "autoscaling.enabled", prefix, errors);
        integer(values, "autoscaling.minReplicas", prefix, errors, 1, 1000);
        integer(values, "autoscaling.maxReplicas", prefix, errors, 1, 1000);
        integer(values, "autoscaling.targetCPUUtilizationPercentage", prefix, errors, 1, 100);
        object(values, "podDisruptionBudget", prefix, errors);
        bool(values, "podDisruptionBudget.enabled", prefix, errors);
        JsonNode minAvailable = at(values, "podDisruptionBudget.minAvailable");
        if (minAvailable != null && !minAvailable.isNull() && !(minAvailable.isIntegralNumber() && minAvailable.asInt() >= 0)
                && !(minAvailable.isString() && PERCENT.matcher(minAvailable.asString()).matches())) {
            errors.add(new FieldError(prefix + ".podDisruptionBudget.minAvailable", "must be a count (0 or more) or a percentage like \"50%\""));
        }
        object(values, "probes", prefix, errors);
        string(values, "probes.readinessPath", prefix, errors, ABSOLUTE_PATH, "must be an absolute path");
        string(values, "probes.livenessPath", prefix, errors, ABSOLUTE_PATH, "must be an absolute path");
        object(values, "resources", prefix, errors);
        object(values, "drift", prefix, errors);
        oneOf(values, "drift.policy", prefix, errors, DRIFT_POLICIES);
        JsonNode config = at(values, "config");
        if (config != null && !config.isNull()) {
            if (!config.isObject()) {
                errors.add(new FieldError(prefix + ".config", "must be an object of strings (the ConfigMap's data)"));
            } else {
                config.properties().forEach(entry -> {
                    if (!CONFIG_KEY.matcher(entry.getKey()).matches()) {
                        errors.add(new FieldError(prefix + ".config." + entry.getKey(), "is not a valid ConfigMap key"));
                    } else if (!entry.getValue().isString() && !entry.getValue().isNull()) {
                        errors.add(new FieldError(prefix + ".config." + entry.getKey(), "must be a string (ConfigMap data holds strings)"));
                    }
                });
            }
        }
    }

    private static JsonNode at(JsonNode values, String dotted) {
        return Values.at(values, List.of(dotted.split("\\.")));
    }

    private static void object(JsonNode values, String field, String prefix, List<FieldError> errors) {
        JsonNode node = at(values, field);
        if (node != null && !node.isNull() && !node.isObject()) {
            errors.add(new FieldError(prefix + "." + field, "must be an object"));
        }
    }

    private static void string(JsonNode values, String field, String prefix, List<FieldError> errors, Pattern shape, String reason) {
        JsonNode node = at(values, field);
        if (node != null && !node.isNull() && (!node.isString() || !shape.matcher(node.asString()).matches())) {
            errors.add(new FieldError(prefix + "." + field, reason));
        }
    }

    private static void oneOf(JsonNode values, String field, String prefix, List<FieldError> errors, Set<String> allowed) {
        JsonNode node = at(values, field);
        if (node != null && !node.isNull() && (!node.isString() || !allowed.contains(node.asString()))) {
            errors.add(new FieldError(prefix + "." + field, "must be one of " + allowed.stream().sorted().toList()));
        }
    }

    private static void integer(JsonNode values, String field, String prefix, List<FieldError> errors, int min, int max) {
        JsonNode node = at(values, field);
        if (node != null && !node.isNull() && (!node.isIntegralNumber() || node.asLong() < min || node.asLong() > max)) {
            errors.add(new FieldError(prefix + "." + field, "must be a whole number from " + min + " to " + max));
        }
    }

    private static void bool(JsonNode values, String field, String prefix, List<FieldError> errors) {
        JsonNode node = at(values, field);
        if (node != null && !node.isNull() && !node.isBoolean()) {
            errors.add(new FieldError(prefix + "." + field, "must be true or false"));
        }
    }
}
