package io.meridian.region.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.meridian.common.problem.Problems.FieldError;
import io.meridian.common.region.RegionId;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class RendererTests {

    final JsonMapper json = JsonMapper.builder().build();
    final Renderer.Release release = new Renderer.Release("checkout", RegionId.of("eu-west-1"), "1.4.2", "meridian");

    Values.Merged values(String... layers) {
        List<Values.Layer> list = new ArrayList<>();
        list.add(new Values.Layer("defaults", json.readTree("""
                {"image":{"registry":"docker.io","pullPolicy":"IfNotPresent"},"port":8080,"config":{"LOG_LEVEL":"info"},
                 "resources":{"requests":{"cpu":"250m"}},"probes":{"readinessPath":"/ready","livenessPath":"/live"},
                 "autoscaling":{"enabled":true,"minReplicas":2,"maxReplicas":10,"targetCPUUtilizationPercentage":70},
                 "podDisruptionBudget":{"enabled":true,"minAvailable":1}}""")));
        for (int i = 0; i < layers.length; i++) {
            list.add(new Values.Layer("layer" + i, json.readTree(layers[i])));
        }
        return Values.merge(list);
    }

    @Test
    void rendersTheStandardTemplateForARegion() {
        Rendered rendered = Renderer.render(ServiceTemplate.standard(),
                values("{\"image\":{\"repository\":\"meridian/checkout\"}}", "{\"image\":{\"registry\":\"registry.eu-west-1.local:5000\"}}"),
                release);
        assertThat(rendered.refs()).extracting(ObjectRef::toString).containsExactly("ConfigMap/checkout-config", "Deployment/checkout",
                "Service/checkout", "HorizontalPodAutoscaler/checkout", "PodDisruptionBudget/checkout");
        ObjectNode deployment = rendered.manifests().get(1);
        JsonNode container = deployment.at("/spec/template/spec/containers/0");
        assertThat(container.get("image").asString()).isEqualTo("registry.eu-west-1.local:5000/meridian/checkout:1.4.2");
        assertThat(container.at("/ports/0/containerPort").isIntegralNumber()).as("a whole-value placeholder keeps the type").isTrue();
        assertThat(container.at("/resources/requests/cpu").asString()).isEqualTo("250m");
        assertThat(container.at("/env/0/value").asString()).isEqualTo("eu-west-1");
        assertThat(deployment.at("/spec").has("replicas")).as("optional placeholder without a value drops the key").isFalse();
        assertThat(deployment.at("/metadata/namespace").asString()).isEqualTo("meridian");
        assertThat(deployment.at("/metadata/labels").get(Renderer.MANAGED_BY).asString()).isEqualTo("meridian");
        assertThat(deployment.at("/metadata/labels").get(Renderer.REGION_LABEL).asString()).isEqualTo("eu-west-1");
        assertThat(deployment.at("/spec/template/metadata/annotations").get(Renderer.CONFIG_CHECKSUM).asString()).hasSize(16);
        assertThat(rendered.manifests().get(0).at("/data/LOG_LEVEL").asString()).isEqualTo("info");
        assertThat(rendered.manifests().get(3).at("/spec/minReplicas").asInt()).isEqualTo(2);
        assertThat(rendered.sources()).containsEntry("image.registry", "layer1").containsEntry("port", "defaults");
    }

    @Test
    void configChangesChangeThePodTemplateChecksumAndConditionsDropObjects() {
        Rendered before = Renderer.render(ServiceTemplate.standard(), values("{\"image\":{\"repository\":\"m/c\"}}"), release);
        Rendered after = Renderer.render(ServiceTemplate.standard(),
                values("{\"image\":{\"repository\":\"m/c\"},\"config\":{\"LOG_LEVEL\":\"debug\"},\"autoscaling\":{\"enabled\":false},"
                        + "\"replicas\":3,\"podDisruptionBudget\":null}"), release);
        String checksum = "/spec/template/metadata/annotations/" + Renderer.CONFIG_CHECKSUM.replace("/", "~1");
        assertThat(after.manifests().get(1).at(checksum)).isNotEqualTo(before.manifests().get(1).at(checksum));
        assertThat(after.refs()).extracting(ObjectRef::kind).containsExactly(ManifestKind.CONFIG_MAP, ManifestKind.DEPLOYMENT,
                ManifestKind.SERVICE);
        assertThat(after.manifests().get(1).at("/spec/replicas").asInt()).isEqualTo(3);
        assertThat(after.checksum()).isNotEqualTo(before.checksum());
    }

    @Test
    void aMissingValueFailsNamingTheFieldAndTheValue() {
        assertThatThrownBy(() -> Renderer.render(ServiceTemplate.standard(), values("{\"autoscaling\":{\"minReplicas\":20}}"), release))
                .isInstanceOfSatisfying(RenderException.class, e -> {
                    assertThat(e.status()).isEqualTo(422);
                    assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                            "values.autoscaling.minReplicas", "manifests[1].spec.template.spec.containers[0].image");
                    assertThat(e.errors()).anySatisfy(error -> assertThat(error.reason()).contains(".Values.image.repository"));
                });
    }

    @Test
    void templatesAreValidatedNamingEveryBadField() {
        List<JsonNode> manifests = List.of(
                json.readTree("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"{{ .Release.Service }}\"},"
                        + "\"spec\":{\"replicas\":\"{{ .Values.replicas \"}}"),
                json.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"x\"}}"),
                json.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Deployment\",\"metadata\":{\"namespace\":\"other\"},\"status\":{}}"),
                json.readTree("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"x\":\"{{ .Nope }}\"}}"));
        assertThatThrownBy(() -> new ServiceTemplate(manifests)).isInstanceOfSatisfying(InvalidFieldsException.class,
                e -> assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                        "manifests[0].spec.replicas", "manifests[1].kind", "manifests[2].apiVersion", "manifests[2].metadata.name",
                        "manifests[2].metadata.namespace", "manifests[2].status", "manifests[3].spec.x"));
        assertThat(ServiceTemplate.standard().manifests()).hasSize(5);
    }
}
