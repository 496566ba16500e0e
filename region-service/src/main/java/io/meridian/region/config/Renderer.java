package io.meridian.region.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.Problems.FieldError;
import io.meridian.common.region.RegionId;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.StringNode;

/**
 * Renders a template with merged values for one region. Pure: the same inputs give the same objects.
 * A string that is exactly one placeholder takes the value's type (a number, a map, a list); text
 * around placeholders makes a string. Every object gets the namespace, the labels
 * {@value #MANAGED_BY}=meridian, {@value #SERVICE_LABEL} and {@value #REGION_LABEL}, and the
 * annotation {@value #VERSION_ANNOTATION}; Deployments' pod templates get {@value #CONFIG_CHECKSUM}
 * so a configuration change rolls the pods.
 */
public final class Renderer {

    /** Label on every object Meridian manages; informers select on it. */
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
    /** Label naming the service an object belongs to. */
    public static final String SERVICE_LABEL = "meridian.dev/service";
    /** Label naming the region an object was rendered for. */
    public static final String REGION_LABEL = "meridian.dev/region";
    /** Annotation with the version an object was rendered at. */
    public static final String VERSION_ANNOTATION = "meridian.dev/version";
    /** Pod-template annotation with the checksum of the release's ConfigMaps. */
    public static final String CONFIG_CHECKSUM = "meridian.dev/config-checksum";

    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Object OMIT = new Object();

    private Renderer() {
    }

    /**
     * What is being released.
     *
     * @param service   the service
     * @param region    the region
     * @param version   the version, an image tag
     * @param namespace the namespace
     */
    public record Release(String service, RegionId region, String version, String namespace) {
        public Release {
            ServiceName.require("service", service);
            requireVersion(version);
            if (namespace == null || !NAMESPACE.matcher(namespace).matches()) {
                throw new IllegalArgumentException("namespace must be a DNS-1123 label: " + namespace);
            }
        }
    }

    /** {@code version} if it is a valid image tag, else a 400 naming {@code version}. */
    public static String requireVersion(@Nullable String version) {
        if (version == null || !VERSION.matcher(version).matches()) {
            throw new io.meridian.common.problem.InvalidFieldException("version",
                    "must be an image tag: 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
        }
        return version;
    }

    /** Renders {@code template} with {@code values}; a {@link RenderException} lists everything that does not render. */
    public static Rendered render(ServiceTemplate template, Values.Merged values, Release release) {
        List<FieldError> errors = new ArrayList<>(ValueRules.checkMerged(values.values()));
        List<ObjectNode> manifests = new ArrayList<>();
        for (int i = 0; i < template.manifests().size(); i++) {
            String at = "manifests[" + i + "]";
            JsonNode source = template.manifests().get(i);
            JsonNode when = source.get(ServiceTemplate.WHEN);
            if (when != null && !truthy(when.asString(), values.values(), release)) {
                continue;
            }
            Object rendered = renderNode(source, at, values.values(), release, errors);
            if (rendered instanceof ObjectNode object) {
                object.remove(ServiceTemplate.WHEN);
                decorate(object, release);
                String name = object.path("metadata").path("name").asString("");
                if (name.length() > 253 || !NAME.matcher(name).matches()) {
                    errors.add(new FieldError(at + ".metadata.name", "renders as '" + name + "', not a valid Kubernetes name"));
                }
                manifests.add(object);
            }
        }
        Set<String> seen = new HashSet<>();
        for (ObjectNode manifest : manifests) {
            String key = manifest.path("kind").asString() + "/" + manifest.path("metadata").path("name").asString();
            if (!seen.add(key)) {
                errors.add(new FieldError("manifests", "two objects render as " + key));
            }
        }
        if (!errors.isEmpty()) {
            throw new RenderException(release.service(), release.region().value(), errors);
        }
        manifests.sort(Comparator.comparingInt(m -> ObjectRef.of(m).kind().ordinal()));
        stampConfigChecksum(manifests);
        return new Rendered(release.service(), release.region(), release.version(), release.namespace(), List.copyOf(manifests),
                values.values().deepCopy(), values.sources(), sha256(JSON.writeValueAsString(manifests)));
    }

    private static boolean truthy(String expression, JsonNode values, Release release) {
        Placeholders.Placeholder placeholder = Placeholders.whole(expression);
        JsonNode value = placeholder == null ? null : resolve(placeholder, values, release);
        if (value == null || value.isNull()) {
            return false;
        }
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        if (value.isNumber()) {
            return value.asDouble() != 0;
        }
        if (value.isString()) {
            return !value.asString().isEmpty() && !"false".equals(value.asString());
        }
        return !value.isEmpty();
    }

    private static Object renderNode(JsonNode node, String path, JsonNode values, Release release, List<FieldError> errors) {
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, JsonNode> entry : node.properties()) {
                Object child = renderNode(entry.getValue(), path + "." + entry.getKey(), values, release, errors);
                if (child != OMIT) {
                    out.set(entry.getKey(), (JsonNode) child);
                }
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            for (int i = 0; i < node.size(); i++) {
                Object child = renderNode(node.get(i), path + "[" + i + "]", values, release, errors);
                if (child != OMIT) {
                    out.add((JsonNode) child);
                }
            }
            return out;
        }
        if (!node.isString() || !node.asString().contains("{{")) {
            return node.deepCopy();
        }
        String text = node.asString();
        Placeholders.Placeholder whole = Placeholders.whole(text);
        if (whole != null) {
            JsonNode value = resolve(whole, values, release);
            if (value == null) {
                if (whole.optional()) {
                    return OMIT;
                }
                errors.add(new FieldError(path, missing(whole)));
                return node.deepCopy();
            }
            return value.deepCopy();
        }
        StringBuilder out = new StringBuilder();
        java.util.regex.Matcher matcher = Placeholders.PLACEHOLDER.matcher(text);
        int end = 0;
        for (Placeholders.Placeholder placeholder : Placeholders.parse(text)) {
            matcher.find();
            out.append(text, end, matcher.start());
            end = matcher.end();
            JsonNode value = resolve(placeholder, values, release);
            if (value == null) {
                if (!placeholder.optional()) {
                    errors.add(new FieldError(path, missing(placeholder)));
                }
            } else if (value.isContainer()) {
                errors.add(new FieldError(path, placeholder.expression() + " is " + (value.isObject() ? "an object" : "a list")
                        + "; only a placeholder standing alone can insert one"));
            } else {
                out.append(value.asString());
            }
        }
        out.append(text.substring(end));
        return StringNode.valueOf(out.toString());
    }

    private static String missing(Placeholders.Placeholder placeholder) {
        return "needs " + placeholder.expression() + ", which no layer sets (defaults, service, region or override values); "
                + "end the placeholder with '?' to make it optional";
    }

    private static @Nullable JsonNode resolve(Placeholders.Placeholder placeholder, JsonNode values, Release release) {
        if (placeholder.valuePath() != null) {
            JsonNode value = Values.at(values, placeholder.valuePath());
            return value == null || value.isNull() ? null : value;
        }
        return StringNode.valueOf(switch (placeholder.release()) {
            case "Service" -> release.service();
            case "Region" -> release.region().value();
            case "Version" -> release.version();
            case "Namespace" -> release.namespace();
            default -> throw new IllegalStateException("unknown release field " + placeholder.release());
        });
    }

    private static void decorate(ObjectNode manifest, Release release) {
        ObjectNode metadata = manifest.withObjectProperty("metadata");
        metadata.put("namespace", release.namespace());
        ObjectNode labels = metadata.withObjectProperty("labels");
        labels.put(MANAGED_BY, "meridian");
        labels.put(SERVICE_LABEL, release.service());
        labels.put(REGION_LABEL, release.region().value());
        metadata.withObjectProperty("annotations").put(VERSION_ANNOTATION, release.version());
    }

    private static void stampConfigChecksum(List<ObjectNode> manifests) {
        StringBuilder config = new StringBuilder();
        manifests.stream().filter(m -> ObjectRef.of(m).kind() == ManifestKind.CONFIG_MAP)
                .forEach(m -> config.append(m.path("metadata").path("name").asString()).append('=')
                        .append(JSON.writeValueAsString(m.path("data"))).append('\n'));
        if (config.isEmpty()) {
            return;
        }
        String checksum = sha256(config.toString()).substring(0, 16);
        for (ObjectNode manifest : manifests) {
            if (ObjectRef.of(manifest).kind() == ManifestKind.DEPLOYMENT) {
                manifest.withObjectProperty("spec").withObjectProperty("template").withObjectProperty("metadata")
                        .withObjectProperty("annotations").put(CONFIG_CHECKSUM, checksum);
            }
        }
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
