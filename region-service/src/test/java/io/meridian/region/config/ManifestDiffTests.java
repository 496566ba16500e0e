package io.meridian.region.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.fabric8.zjsonpatch.JsonPatch;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class ManifestDiffTests {

    final JsonMapper json = JsonMapper.builder().build();
    final com.fasterxml.jackson.databind.ObjectMapper jackson2 = new com.fasterxml.jackson.databind.ObjectMapper();

    ObjectNode deployment(String image, String extraAnnotation) {
        return (ObjectNode) json.readTree("""
                {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"meridian",
                  "labels":{"app.kubernetes.io/name":"web"},"annotations":{%s}},
                 "spec":{"selector":{"matchLabels":{"app":"web"}},"template":{"spec":{"containers":[{"name":"web","image":"%s"}]}}}}
                """.formatted(extraAnnotation, image));
    }

    /** The live object as a server would keep it: what was applied plus server fields, status and defaults. */
    ObjectNode live(ObjectNode applied) {
        ObjectNode live = ManifestDiff.withLastApplied(applied);
        ((ObjectNode) live.get("metadata")).put("uid", "1234").put("resourceVersion", "7").put("generation", 3);
        ((ObjectNode) live.at("/spec/template/spec/containers/0")).put("terminationMessagePath", "/dev/termination-log");
        ((ObjectNode) live.get("spec")).put("progressDeadlineSeconds", 600);
        live.putObject("status").put("readyReplicas", 2);
        return live;
    }

    @Test
    void aMissingObjectIsCreatedAndAnIdenticalOneIsLeftAlone() {
        ObjectNode desired = deployment("web:1", "");
        assertThat(ManifestDiff.diff(desired, null).action()).isEqualTo(ManifestDiff.Action.CREATE);
        ManifestDiff.ObjectDiff same = ManifestDiff.diff(desired, live(desired));
        assertThat(same.action()).as("server fields, status and defaults are not differences").isEqualTo(ManifestDiff.Action.UNCHANGED);
        assertThat(same.patch()).isEmpty();
    }

    @Test
    void changesAreListedPerFieldAndThePatchMakesThem() throws Exception {
        ObjectNode before = deployment("web:1", "\"team\":\"payments\"");
        ObjectNode live = live(before);
        ((ObjectNode) live.at("/metadata/labels")).put("added-by-someone", "x");
        ObjectNode after = deployment("web:2", "");
        ((ObjectNode) after.at("/metadata/labels")).put("tier", "gold");

        ManifestDiff.ObjectDiff diff = ManifestDiff.diff(after, live);
        assertThat(diff.action()).isEqualTo(ManifestDiff.Action.UPDATE);
        assertThat(diff.changes()).extracting(c -> c.op() + " " + c.field()).containsExactlyInAnyOrder(
                "ADD metadata.labels.tier",
                "REMOVE metadata.annotations.team",
                "REPLACE spec.template.spec.containers[0].image");
        ManifestDiff.FieldChange image = diff.changes().stream().filter(c -> c.op() == ManifestDiff.Op.REPLACE).findFirst().orElseThrow();
        assertThat(image.before().asString()).isEqualTo("web:1");
        assertThat(image.after().asString()).isEqualTo("web:2");
        assertThat(image.path()).isEqualTo("/spec/template/spec/containers/0/image");

        // Apply the patch with an independent RFC 6902 implementation: the result matches the rendering, and keeps
        // what others own (the label someone added, server fields, defaults, status).
        com.fasterxml.jackson.databind.JsonNode patched = JsonPatch.apply(jackson2.readTree(diff.patch().toString()),
                jackson2.readTree(live.toString()));
        JsonNode result = json.readTree(patched.toString());
        assertThat(ManifestDiff.diff(after, result).action()).isEqualTo(ManifestDiff.Action.UNCHANGED);
        assertThat(result.at("/metadata/labels/added-by-someone").asString()).isEqualTo("x");
        assertThat(result.at("/status/readyReplicas").asInt()).isEqualTo(2);
        assertThat(result.at("/spec/template/spec/containers/0/terminationMessagePath").asString()).isEqualTo("/dev/termination-log");
        assertThat(ManifestDiff.lastApplied(result)).isEqualTo(after);
    }

    @Test
    void keysThatAreNoPlainNamesAreQuotedInTheFieldAndEscapedInThePointer() {
        ObjectNode before = deployment("web:1", "");
        ObjectNode after = deployment("web:1", "");
        ((ObjectNode) after.at("/metadata/labels")).put("app.kubernetes.io/name", "web-2").put("a~b", "c");
        ManifestDiff.ObjectDiff diff = ManifestDiff.diff(after, live(before));
        assertThat(diff.changes()).extracting(c -> c.op() + " " + c.field() + " " + c.path()).containsExactlyInAnyOrder(
                "REPLACE metadata.labels[\"app.kubernetes.io/name\"] /metadata/labels/app.kubernetes.io~1name",
                "ADD metadata.labels[\"a~b\"] /metadata/labels/a~0b");
    }

    /** The drift screen's shortcut answers as the full three-way diff against the object's own record does. */
    @Test
    void theScreenAgreesWithTheFullDiffOnWhatStillMatchesItsRecord() {
        ObjectNode applied = deployment("web:1", "\"team\":\"payments\"");
        applied.withObjectProperty("spec").put("replicas", 2).putArray("emptyList");
        java.util.Map<String, java.util.function.Consumer<ObjectNode>> changes = new java.util.LinkedHashMap<>();
        changes.put("server fields and status only", live -> { });
        changes.put("a label added by someone else", live -> ((ObjectNode) live.at("/metadata/labels")).put("other", "x"));
        changes.put("an annotation added by someone else", live -> ((ObjectNode) live.at("/metadata/annotations")).put("other", "x"));
        changes.put("the image changed", live -> ((ObjectNode) live.at("/spec/template/spec/containers/0")).put("image", "web:evil"));
        changes.put("an applied annotation changed", live -> ((ObjectNode) live.at("/metadata/annotations")).put("team", "other"));
        changes.put("an applied annotation removed", live -> ((ObjectNode) live.at("/metadata/annotations")).remove("team"));
        changes.put("a container added", live -> ((tools.jackson.databind.node.ArrayNode) live.at("/spec/template/spec/containers"))
                .addObject().put("name", "sidecar"));
        changes.put("replicas as a float of the same value", live -> ((ObjectNode) live.get("spec")).put("replicas", 2.0));
        changes.put("replicas scaled", live -> ((ObjectNode) live.get("spec")).put("replicas", 5));
        changes.put("the empty list dropped by the server", live -> ((ObjectNode) live.get("spec")).remove("emptyList"));
        changes.put("the selector replaced by a string", live -> ((ObjectNode) live.get("spec")).put("selector", "app=web"));
        changes.put("the record reformatted", live -> ((ObjectNode) live.at("/metadata/annotations")).put(ManifestDiff.LAST_APPLIED,
                json.readTree(live.at("/metadata/annotations").get(ManifestDiff.LAST_APPLIED).asString()).toPrettyString()));
        changes.put("the record removed", live -> ((ObjectNode) live.at("/metadata/annotations")).remove(ManifestDiff.LAST_APPLIED));
        changes.put("the record unreadable", live -> ((ObjectNode) live.at("/metadata/annotations")).put(ManifestDiff.LAST_APPLIED, "{"));
        int matching = 0;
        for (var change : changes.entrySet()) {
            ObjectNode live = live(applied);
            change.getValue().accept(live);
            JsonNode record = ManifestDiff.lastApplied(live);
            boolean full = record instanceof ObjectNode r && ManifestDiff.diff(r, live).action() == ManifestDiff.Action.UNCHANGED;
            assertThat(ManifestDiff.matchesLastApplied(live)).as(change.getKey()).isEqualTo(full);
            matching += full ? 1 : 0;
        }
        assertThat(matching).as("both answers occur").isBetween(3, changes.size() - 3);
    }
}
