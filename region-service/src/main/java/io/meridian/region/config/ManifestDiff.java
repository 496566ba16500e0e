package io.meridian.region.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * What applying a rendered object would change in the cluster, as a readable per-field list and as
 * the RFC 6902 JSON patch that makes the change. Three-way, like {@code kubectl apply}: a field the
 * live object has but the rendering lacks is removed only if Meridian set it last time (recorded in
 * the {@value #LAST_APPLIED} annotation); anything else the live object carries (status, server
 * defaults, fields other tools own) is left alone. Lists are compared element by element when they
 * have the same length and replaced whole otherwise, as Helm values replace lists.
 */
public final class ManifestDiff {

    /** Annotation holding the object as Meridian last applied it (compact JSON, without this annotation). */
    public static final String LAST_APPLIED = "meridian.dev/last-applied";
    private static final String LAST_APPLIED_POINTER = "/metadata/annotations/" + escape(LAST_APPLIED);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z0-9_-]+");

    private ManifestDiff() {
    }

    /** A change of one field. */
    public enum Op {
        ADD, REMOVE, REPLACE
    }

    /** What applying does to a whole object. */
    public enum Action {
        /** The object is missing and will be created. */
        CREATE,
        /** The object differs and will be patched. */
        UPDATE,
        /** The object matches; nothing is sent. */
        UNCHANGED,
        /** The object is no longer rendered and will be deleted. */
        DELETE
    }

    /**
     * One field that differs.
     *
     * @param field  readable path ({@code spec.template.spec.containers[0].image})
     * @param path   JSON pointer ({@code /spec/template/spec/containers/0/image})
     * @param op     add, remove or replace
     * @param before the live value (null when added)
     * @param after  the rendered value (null when removed)
     */
    public record FieldChange(String field, String path, Op op, @Nullable JsonNode before, @Nullable JsonNode after) {
    }

    /**
     * The difference for one object.
     *
     * @param object  which object
     * @param action  create, update, unchanged or delete
     * @param changes the fields that differ (for an update)
     * @param patch   the JSON patch that makes an update (empty otherwise)
     */
    public record ObjectDiff(ObjectRef object, Action action, List<FieldChange> changes, ArrayNode patch) {
    }

    /** {@code desired} with the {@value #LAST_APPLIED} annotation recording it: what Meridian writes. */
    public static ObjectNode withLastApplied(ObjectNode desired) {
        ObjectNode copy = desired.deepCopy();
        ObjectNode annotations = copy.withObjectProperty("metadata").withObjectProperty("annotations");
        annotations.remove(LAST_APPLIED);
        ObjectNode record = copy.deepCopy();
        annotations.put(LAST_APPLIED, JSON.writeValueAsString(record));
        return copy;
    }

    /** The object as Meridian last applied it, from its annotation; null when it carries none (or an unreadable one). */
    public static @Nullable JsonNode lastApplied(JsonNode live) {
        JsonNode text = live.path("metadata").path("annotations").get(LAST_APPLIED);
        if (text == null || !text.isString()) {
            return null;
        }
        try {
            return JSON.readTree(text.asString());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The difference between the rendered object and the live one (null when it does not exist). */
    public static ObjectDiff diff(ObjectNode desired, @Nullable JsonNode live) {
        ObjectRef ref = ObjectRef.of(desired);
        ObjectNode wanted = withLastApplied(desired);
        if (live == null) {
            return new ObjectDiff(ref, Action.CREATE, List.of(), JsonNodeFactory.instance.arrayNode());
        }
        List<FieldChange> changes = new ArrayList<>();
        compare(wanted, live, lastApplied(live), "", "", changes);
        List<FieldChange> visible = changes.stream().filter(c -> !c.path().equals(LAST_APPLIED_POINTER)).toList();
        if (visible.isEmpty()) {
            return new ObjectDiff(ref, Action.UNCHANGED, List.of(), JsonNodeFactory.instance.arrayNode());
        }
        ArrayNode patch = JsonNodeFactory.instance.arrayNode();
        for (FieldChange change : changes) {
            ObjectNode op = patch.addObject();
            op.put("op", change.op().name().toLowerCase(java.util.Locale.ROOT));
            op.put("path", change.path());
            if (change.after() != null) {
                op.set("value", change.after());
            }
        }
        return new ObjectDiff(ref, Action.UPDATE, visible, patch);
    }

    private static void compare(JsonNode desired, JsonNode live, @Nullable JsonNode last, String pointer, String field,
            List<FieldChange> changes) {
        if (desired.isObject() && live.isObject()) {
            for (Map.Entry<String, JsonNode> entry : desired.properties()) {
                String key = entry.getKey();
                JsonNode liveChild = live.get(key);
                String childPointer = pointer + "/" + escape(key);
                String childField = field(field, key);
                if (liveChild == null) {
                    if (!emptyContainer(entry.getValue())) {
                        // API servers drop empty maps and lists (omitempty), so an empty one is not a difference.
                        changes.add(new FieldChange(childField, childPointer, Op.ADD, null, entry.getValue()));
                    }
                } else {
                    compare(entry.getValue(), liveChild, last == null ? null : last.get(key), childPointer, childField, changes);
                }
            }
            if (last != null && last.isObject()) {
                for (Map.Entry<String, JsonNode> entry : live.properties()) {
                    if (!desired.has(entry.getKey()) && last.has(entry.getKey())) {
                        changes.add(new FieldChange(field(field, entry.getKey()), pointer + "/" + escape(entry.getKey()), Op.REMOVE,
                                entry.getValue(), null));
                    }
                }
            }
            return;
        }
        if (desired.isArray() && live.isArray() && desired.size() == live.size()) {
            for (int i = 0; i < desired.size(); i++) {
                JsonNode lastChild = last != null && last.isArray() && last.size() == desired.size() ? last.get(i) : null;
                compare(desired.get(i), live.get(i), lastChild, pointer + "/" + i, field + "[" + i + "]", changes);
            }
            return;
        }
        if (!same(desired, live)) {
            changes.add(new FieldChange(field, pointer, Op.REPLACE, live, desired));
        }
    }

    private static boolean emptyContainer(JsonNode node) {
        return node.isContainer() && node.isEmpty();
    }

    private static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static String field(String parent, String key) {
        String part = PLAIN_KEY.matcher(key).matches() ? key : "[\"" + key + "\"]";
        return parent.isEmpty() ? part : part.startsWith("[") ? parent + part : parent + "." + part;
    }

    private static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
