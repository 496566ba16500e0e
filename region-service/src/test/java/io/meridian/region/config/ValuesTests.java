package io.meridian.region.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ValuesTests {

    final JsonMapper json = JsonMapper.builder().build();

    JsonNode tree(String text) {
        return json.readTree(text);
    }

    @Test
    void mapsMergeDeeplyScalarsAndListsReplaceAndNullRemoves() {
        Values.Merged merged = Values.merge(List.of(
                new Values.Layer("defaults", tree("""
                        {"image":{"registry":"docker.io","pullPolicy":"IfNotPresent"},"port":8080,"hosts":["a","b"],
                         "autoscaling":{"enabled":true,"minReplicas":2},"config":{"LOG":"info","MODE":"x"}}""")),
                new Values.Layer("service/checkout", tree("""
                        {"image":{"repository":"meridian/checkout"},"hosts":["c"],"config":{"MODE":null}}""")),
                new Values.Layer("region/eu-west-1", tree("""
                        {"image":{"registry":"registry.eu-west-1.local:5000"},"autoscaling":{"minReplicas":3}}""")),
                new Values.Layer("override/checkout/eu-west-1", tree("""
                        {"port":9090,"autoscaling":null}"""))));

        assertThat(merged.values()).isEqualTo(tree("""
                {"image":{"registry":"registry.eu-west-1.local:5000","pullPolicy":"IfNotPresent","repository":"meridian/checkout"},
                 "port":9090,"hosts":["c"],"config":{"LOG":"info"}}"""));
        assertThat(merged.sources()).containsEntry("image.registry", "region/eu-west-1")
                .containsEntry("image.pullPolicy", "defaults")
                .containsEntry("image.repository", "service/checkout")
                .containsEntry("port", "override/checkout/eu-west-1")
                .containsEntry("hosts", "service/checkout")
                .containsEntry("config.LOG", "defaults")
                .doesNotContainKeys("autoscaling.enabled", "autoscaling.minReplicas", "config.MODE");
    }

    @Test
    void aLayerReplacingAMapWithAScalarDropsTheMapsSources() {
        Values.Merged merged = Values.merge(List.of(new Values.Layer("defaults", tree("{\"resources\":{\"cpu\":\"1\"}}")),
                new Values.Layer("service/x", tree("{\"resources\":\"none\"}"))));
        assertThat(merged.values().get("resources").asString()).isEqualTo("none");
        assertThat(merged.sources()).containsOnlyKeys("resources");
    }

    @Test
    void rulesNameEveryBadField() {
        List<io.meridian.common.problem.Problems.FieldError> errors = ValueRules.check(tree("""
                {"image":{"registry":"Not A Registry!","repository":"ok/repo"},"replicas":-1,"port":"80",
                 "autoscaling":{"enabled":"yes"},"drift":{"policy":"ignore"},"config":{"A":1,"bad key":"x"},"bad/key":1}"""), "values");
        assertThat(errors).extracting(io.meridian.common.problem.Problems.FieldError::field).containsExactlyInAnyOrder(
                "values.image.registry", "values.replicas", "values.port", "values.autoscaling.enabled", "values.drift.policy",
                "values.config.A", "values.config.bad key", "values.config.bad key", "values.bad/key");
        assertThat(ValueRules.check(tree("{\"image\":{\"registry\":\"registry.eu-west-1.local:5000\"}}"), "values")).isEmpty();
        assertThat(ValueRules.checkMerged(tree("{\"autoscaling\":{\"minReplicas\":5,\"maxReplicas\":2}}")))
                .extracting(io.meridian.common.problem.Problems.FieldError::field).containsExactly("values.autoscaling.minReplicas");
    }
}
