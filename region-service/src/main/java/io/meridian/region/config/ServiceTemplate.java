package io.meridian.region.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.meridian.common.problem.Problems.FieldError;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The template of one service: the Kubernetes manifests of a release with placeholders (see
 * {@link Placeholders}) that rendering fills from the merged values and the release. Each manifest
 * is a {@link ManifestKind supported kind}; the namespace is not part of it (rendering sets it). A
 * manifest may carry a top-level {@code "$when": "{{ .Values.autoscaling.enabled }}"}: it is
 * rendered only when that value is true (or a non-empty string, number or collection).
 *
 * @param manifests the manifests, 1 to {@value #MAX_MANIFESTS}, at least one Deployment
 */
public record ServiceTemplate(List<JsonNode> manifests) {

    /** Most manifests one template may hold. */
    public static final int MAX_MANIFESTS = 20;
    /** The top-level key that makes a manifest conditional. */
    static final String WHEN = "$when";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public ServiceTemplate {
        InvalidFieldsException.throwIfAny(check(manifests));
        manifests = manifests.stream().map(JsonNode::deepCopy).toList();
    }

    /** The template every service renders with until it stores its own: ConfigMap, Deployment, Service, HPA and PDB. */
    public static ServiceTemplate standard() {
        try (InputStream in = ServiceTemplate.class.getResourceAsStream("standard-template.json")) {
            if (in == null) {
                throw new IllegalStateException("standard-template.json is missing from the classpath");
            }
            return JSON.readValue(in, ServiceTemplate.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<FieldError> check(@org.jspecify.annotations.Nullable List<JsonNode> manifests) {
        List<FieldError> errors = new ArrayList<>();
        if (manifests == null || manifests.isEmpty()) {
            errors.add(new FieldError("manifests", "must hold at least one manifest (a Deployment)"));
            return errors;
        }
        if (manifests.size() > MAX_MANIFESTS) {
            errors.add(new FieldError("manifests", "must hold at most " + MAX_MANIFESTS + " manifests"));
        }
        boolean deployment = false;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < manifests.size(); i++) {
            String at = "manifests[" + i + "]";
            JsonNode manifest = manifests.get(i);
            if (manifest == null || !manifest.isObject()) {
                errors.add(new FieldError(at, "must be a Kubernetes object"));
                continue;
            }
            String apiVersion = manifest.path("apiVersion").asString("");
            String kind = manifest.path("kind").asString("");
            ManifestKind supported = ManifestKind.of(apiVersion, kind).orElse(null);
            if (supported == null) {
                if (ManifestKind.ofKind(kind).isPresent()) {
                    errors.add(new FieldError(at + ".apiVersion", "must be " + ManifestKind.ofKind(kind).get().apiVersion() + " for " + kind));
                } else {
                    errors.add(new FieldError(at + ".kind", "must be one of: " + ManifestKind.supported()));
                }
            }
            deployment |= supported == ManifestKind.DEPLOYMENT;
            JsonNode metadata = manifest.get("metadata");
            JsonNode name = metadata == null ? null : metadata.get("name");
            if (name == null || !name.isString() || name.asString().isBlank()) {
                errors.add(new FieldError(at + ".metadata.name", "must be present (a name or a placeholder like {{ .Release.Service }})"));
            } else if (supported != null && !names.add(supported.kind() + "/" + name.asString())) {
                errors.add(new FieldError(at + ".metadata.name", "names another " + supported.kind() + " of this template"));
            }
            if (metadata != null && metadata.has("namespace")) {
                errors.add(new FieldError(at + ".metadata.namespace", "must not be set; rendering puts every object in the deployment namespace"));
            }
            if (manifest.has("status")) {
                errors.add(new FieldError(at + ".status", "must not be set; status belongs to the cluster"));
            }
            JsonNode when = manifest.get(WHEN);
            if (when != null && (!when.isString() || Placeholders.whole(safe(when.asString())) == null)) {
                errors.add(new FieldError(at + "." + WHEN, "must be a single placeholder like {{ .Values.autoscaling.enabled }}"));
            }
            checkPlaceholders(manifest, at, errors);
        }
        if (!deployment && errors.isEmpty()) {
            errors.add(new FieldError("manifests", "must contain a Deployment (its rollout decides readiness)"));
        }
        return errors;
    }

    private static String safe(String text) {
        try {
            Placeholders.parse(text);
            return text;
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    private static void checkPlaceholders(JsonNode node, String path, List<FieldError> errors) {
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                if (entry.getKey().contains("{{")) {
                    errors.add(new FieldError(path + "." + entry.getKey(), "keys cannot hold placeholders"));
                }
                checkPlaceholders(entry.getValue(), path + "." + entry.getKey(), errors);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                checkPlaceholders(node.get(i), path + "[" + i + "]", errors);
            }
        } else if (node.isString()) {
            try {
                Placeholders.parse(node.asString());
            } catch (IllegalArgumentException e) {
                errors.add(new FieldError(path, e.getMessage()));
            }
        }
    }
}
