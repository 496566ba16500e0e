package io.meridian.region.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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
        compare(wanted, live, lastApplied(live), new ArrayList<>(), changes);
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

    /**
     * Whether {@code live} still is what Meridian last applied to it (its {@value #LAST_APPLIED} record): the same answer as
     * {@code diff(lastApplied(live), live).action() == UNCHANGED}, without building the record's annotated copy, the field
     * paths or a patch. The drift watch asks this of every change it sees, most of which are status updates.
     */
    public static boolean matchesLastApplied(JsonNode live) {
        JsonNode applied = lastApplied(live);
        // the record was written without its own annotation, and the three-way removals cannot apply (the record is the
        // desired object), so the object matches when every field of the record is there with the same value
        return applied instanceof ObjectNode && covers(applied, live, true);
    }

    /** {@link #compare} finding no change, ignoring the {@value #LAST_APPLIED} annotation at the top level. */
    private static boolean covers(JsonNode desired, JsonNode live, boolean top) {
        if (desired.isObject() && live.isObject()) {
            for (Map.Entry<String, JsonNode> entry : desired.properties()) {
                JsonNode liveChild = live.get(entry.getKey());
                if (liveChild == null) {
                    if (!emptyContainer(entry.getValue())) {
                        return false;
                    }
                } else if (top && entry.getKey().equals("metadata")) {
                    if (!coversMetadata(entry.getValue(), liveChild)) {
                        return false;
                    }
                } else if (!covers(entry.getValue(), liveChild, false)) {
                    return false;
                }
            }
            return true;
        }
        if (desired.isArray() && live.isArray() && desired.size() == live.size()) {
            for (int i = 0; i < desired.size(); i++) {
                if (!covers(desired.get(i), live.get(i), false)) {
                    return false;
                }
            }
            return true;
        }
        return same(desired, live);
    }

    private static boolean coversMetadata(JsonNode desired, JsonNode live) {
        if (!desired.isObject() || !live.isObject()) {
            return covers(desired, live, false);
        }
        for (Map.Entry<String, JsonNode> entry : desired.properties()) {
            JsonNode liveChild = live.get(entry.getKey());
            if (liveChild == null) {
                if (!emptyContainer(entry.getValue())) {
                    return false;
                }
            } else if (entry.getKey().equals("annotations") && entry.getValue().isObject() && liveChild.isObject()) {
                for (Map.Entry<String, JsonNode> annotation : entry.getValue().properties()) {
                    JsonNode liveAnnotation = liveChild.get(annotation.getKey());
                    if (annotation.getKey().equals(LAST_APPLIED)) {
                        continue;
                    }
                    if (liveAnnotation == null ? !emptyContainer(annotation.getValue()) : !covers(annotation.getValue(), liveAnnotation, false)) {
                        return false;
                    }
                }
            } else if (!covers(entry.getValue(), liveChild, false)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Collects the changes from {@code live} to {@code desired}. {@code path} holds the keys (strings) and indexes (integers)
     * leading here; the readable and pointer forms of a path are built only for a field that changed, since most fields do not.
     */
    private static void compare(JsonNode desired, JsonNode live, @Nullable JsonNode last, List<Object> path, List<FieldChange> changes) {
        if (desired.isObject() && live.isObject()) {
            for (Map.Entry<String, JsonNode> entry : desired.properties()) {
                String key = entry.getKey();
                JsonNode liveChild = live.get(key);
                path.add(key);
                if (liveChild == null) {
                    if (!emptyContainer(entry.getValue())) {
                        // API servers drop empty maps and lists (omitempty), so an empty one is not a difference.
                        changes.add(change(path, Op.ADD, null, entry.getValue()));
                    }
                } else {
                    compare(entry.getValue(), liveChild, last == null ? null : last.get(key), path, changes);
                }
                path.removeLast();
            }
            if (last != null && last.isObject()) {
                for (Map.Entry<String, JsonNode> entry : live.properties()) {
                    if (!desired.has(entry.getKey()) && last.has(entry.getKey())) {
                        path.add(entry.getKey());
                        changes.add(change(path, Op.REMOVE, entry.getValue(), null));
                        path.removeLast();
                    }
                }
            }
            return;
        }
        if (desired.isArray() && live.isArray() && desired.size() == live.size()) {
            for (int i = 0; i < desired.size(); i++) {
                JsonNode lastChild = last != null && last.isArray() && last.size() == desired.size() ? last.get(i) : null;
                path.add(i);
                compare(desired.get(i), live.get(i), lastChild, path, changes);
                path.removeLast();
            }
            return;
        }
        if (!same(desired, live)) {
            changes.add(change(path, Op.REPLACE, live, desired));
        }
    }

    private static FieldChange change(List<Object> path, Op op, @Nullable JsonNode before, @Nullable JsonNode after) {
        StringBuilder field = new StringBuilder();
        StringBuilder pointer = new StringBuilder();
        for (Object step : path) {
            if (step instanceof Integer index) {
                field.append('[').append(index).append(']');
                pointer.append('/').append(index);
            } else {
                String key = (String) step;
                if (!plain(key)) {
                    field.append("[\"").append(key).append("\"]");
                } else {
                    if (!field.isEmpty()) {
                        field.append('.');
                    }
                    field.append(key);
                }
                pointer.append('/').append(escape(key));
            }
        }
        return new FieldChange(field.toString(), pointer.toString(), op, before, after);
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

    /** A key written as is in a readable path ({@code [A-Za-z0-9_-]+}); others are quoted in brackets. */
    private static boolean plain(String key) {
        if (key.isEmpty()) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    private static String escape(String key) {
        return key.indexOf('~') < 0 && key.indexOf('/') < 0 ? key : key.replace("~", "~0").replace("/", "~1");
    }
}
