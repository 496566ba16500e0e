package io.meridian.region.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Helm-style deep merge of value layers. Maps merge key by key, recursively; scalars and lists
 * replace what was there; an explicit {@code null} removes the key (as {@code helm --set key=null}
 * does). The merge also records which layer set each leaf, so a rendered value can be traced back.
 */
public final class Values {

    private Values() {
    }

    /**
     * One layer to merge.
     *
     * @param source where the values come from ({@code defaults}, {@code region/eu-west-1}, ...)
     * @param values a JSON object
     */
    public record Layer(String source, JsonNode values) {
    }

    /**
     * The merged values.
     *
     * @param values  the result, a JSON object
     * @param sources for each leaf path ({@code image.registry}), the layer that set it
     */
    public record Merged(ObjectNode values, SortedMap<String, String> sources) {
    }

    /** Merges {@code layers} in order, later ones winning. */
    public static Merged merge(List<Layer> layers) {
        ObjectNode result = JsonNodeFactory.instance.objectNode();
        SortedMap<String, String> sources = new TreeMap<>();
        for (Layer layer : layers) {
            if (!layer.values().isObject()) {
                throw new IllegalArgumentException("values of " + layer.source() + " are not an object");
            }
            mergeInto(result, layer.values(), "", layer.source(), sources);
        }
        return new Merged(result, sources);
    }

    private static void mergeInto(ObjectNode target, JsonNode overlay, String prefix, String source, Map<String, String> sources) {
        for (Map.Entry<String, JsonNode> entry : overlay.properties()) {
            String key = entry.getKey();
            String path = prefix.isEmpty() ? key : prefix + "." + key;
            JsonNode value = entry.getValue();
            JsonNode existing = target.get(key);
            if (value.isNull()) {
                target.remove(key);
                removeUnder(sources, path);
            } else if (value.isObject() && existing != null && existing.isObject()) {
                mergeInto((ObjectNode) existing, value, path, source, sources);
            } else {
                removeUnder(sources, path);
                target.set(key, withoutNulls(value.deepCopy()));
                recordLeaves(value, path, source, sources);
            }
        }
    }

    private static JsonNode withoutNulls(JsonNode value) {
        if (value instanceof ObjectNode object) {
            List<String> nulls = new ArrayList<>();
            object.properties().forEach(e -> {
                if (e.getValue().isNull()) {
                    nulls.add(e.getKey());
                } else {
                    withoutNulls(e.getValue());
                }
            });
            object.remove(nulls);
        }
        return value;
    }

    private static void recordLeaves(JsonNode value, String path, String source, Map<String, String> sources) {
        if (value.isObject() && !value.isEmpty()) {
            value.properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    recordLeaves(e.getValue(), path + "." + e.getKey(), source, sources);
                }
            });
        } else {
            sources.put(path, source);
        }
    }

    private static void removeUnder(Map<String, String> sources, String path) {
        sources.keySet().removeIf(key -> key.equals(path) || key.startsWith(path + "."));
    }

    /** The value at a dotted path ({@code image.registry}), or null when any segment is missing. */
    public static @Nullable JsonNode at(JsonNode values, List<String> path) {
        JsonNode current = values;
        for (String segment : path) {
            if (current == null || !current.isObject()) {
                return null;
            }
            current = current.get(segment);
        }
        return current;
    }
}
