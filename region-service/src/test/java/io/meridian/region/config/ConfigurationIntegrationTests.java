package io.meridian.region.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ApiClient.Response;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ConfigurationIntegrationTests extends ServiceIntegrationTest {

    static final String BASE = "/api/v1/deployments/config";

    @LocalServerPort
    int port;

    ApiClient api() {
        return new ApiClient(port);
    }

    void region(String id) {
        String body = """
                {"id":"%1$s","displayName":"Region %1$s","provider":"local",
                 "location":{"latitude":35.7,"longitude":139.7,"country":"JP"},"zone":"APAC","regimes":[],
                 "status":"ACTIVE","endpoints":{"kubernetesApi":"http://127.0.0.1:9","databases":[],
                 "objectStore":{"endpoint":"http://127.0.0.1:19000","bucket":"meridian-%1$s"},"ingressUrl":"http://127.0.0.1:18101"},
                 "capacity":{"cpuCores":32,"memoryGib":128},"labels":{}}
                """.formatted(id);
        assertThat(api().send("POST", "/api/v1/regions", TestTokens.operator(), body).status()).isEqualTo(201);
    }

    @Test
    void valueLayersAreVersionedValidatedAndAudited() {
        region("cf-north-1");
        String path = BASE + "/values/regions/cf-north-1";
        Response created = api().send("PUT", path, TestTokens.operator(), "{\"values\":{\"image\":{\"registry\":\"registry.cf-north-1.local:5000\"}}}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.header("ETag")).isEqualTo("\"1\"");
        assertThat(created.json().get("layer").asString()).isEqualTo("region/cf-north-1");

        String replacement = "{\"values\":{\"image\":{\"registry\":\"mirror.cf-north-1.local:5000\"},\"replicas\":3}}";
        assertThat(api().send("PUT", path, TestTokens.operator(), replacement).status()).as("exists: If-Match needed").isEqualTo(428);
        Response stale = api().send("PUT", path, TestTokens.operator(), replacement, Map.of("If-Match", "\"7\""));
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().get("currentVersion").asLong()).isEqualTo(1);
        Response invalid = api().send("PUT", path, TestTokens.operator(),
                "{\"values\":{\"image\":{\"registry\":\"http://no\"},\"replicas\":-2,\"port\":70000,\"drift\":{\"policy\":\"ignore\"}}}",
                Map.of("If-Match", "\"1\""));
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/validation");
        assertThat(invalid.json().get("errors")).extracting(e -> e.get("field").asString()).containsExactlyInAnyOrder(
                "values.image.registry", "values.replicas", "values.port", "values.drift.policy");
        assertThat(api().send("PUT", path, TestTokens.operator(), "{\"values\":[1]}", Map.of("If-Match", "\"1\"")).json()
                .get("field").asString()).isEqualTo("values");
        assertThat(api().send("PUT", path, TestTokens.viewer(), replacement, Map.of("If-Match", "\"1\"")).status()).isEqualTo(403);
        assertThat(api().get(path, TestTokens.viewer()).header("ETag")).as("nothing was written").isEqualTo("\"1\"");

        Response updated = api().send("PUT", path, TestTokens.operator(), replacement, Map.of("If-Match", "\"1\""));
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.header("ETag")).isEqualTo("\"2\"");
        JsonNode audit = api().get("/api/v1/regions/audit?target=config/values/region/cf-north-1", TestTokens.viewer()).json();
        assertThat(audit).anySatisfy(record -> {
            assertThat(record.get("action").asString()).isEqualTo("config.values.update");
            assertThat(record.get("before").at("/image/registry").asString()).isEqualTo("registry.cf-north-1.local:5000");
            assertThat(record.get("after").at("/image/registry").asString()).isEqualTo("mirror.cf-north-1.local:5000");
        });
        assertThat(api().get(BASE + "/values?region=cf-north-1", TestTokens.viewer()).json())
                .extracting(layer -> layer.get("layer").asString()).containsExactly("region/cf-north-1");

        assertThat(api().send("DELETE", path, TestTokens.operator(), null).status()).isEqualTo(428);
        assertThat(api().send("DELETE", path, TestTokens.operator(), null, Map.of("If-Match", "\"2\"")).status()).isEqualTo(204);
        assertThat(api().get(path, TestTokens.viewer()).status()).isEqualTo(404);
        assertThat(api().send("PUT", BASE + "/values/regions/zz-none-4", TestTokens.operator(), "{\"values\":{}}").status())
                .as("unknown region").isEqualTo(404);
        assertThat(api().send("PUT", BASE + "/values/defaults", TestTokens.operator(), "{\"values\":{}}").status())
                .as("the defaults exist from the start").isEqualTo(428);
        assertThat(api().send("DELETE", BASE + "/values/defaults", TestTokens.admin(), null, Map.of("If-Match", "\"1\"")).status())
                .isEqualTo(405);
    }

    @Test
    void rendersEachRegionThroughTheLayersAndNamesWhatIsMissing() {
        region("cf-south-1");
        region("cf-south-2");
        Response missing = api().get(BASE + "/services/pay/regions/cf-south-1/rendered?version=1.0", TestTokens.viewer());
        assertThat(missing.status()).isEqualTo(422);
        assertThat(missing.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/render-failed");
        assertThat(missing.json().get("errors")).anySatisfy(e -> {
            assertThat(e.get("field").asString()).isEqualTo("manifests[1].spec.template.spec.containers[0].image");
            assertThat(e.get("reason").asString()).contains(".Values.image.repository");
        });

        put(BASE + "/values/services/pay", "{\"image\":{\"repository\":\"meridian/pay\"},\"config\":{\"CURRENCY\":\"JPY\"}}");
        put(BASE + "/values/regions/cf-south-1", "{\"image\":{\"registry\":\"registry.cf-south-1.local:5000\"}}");
        put(BASE + "/values/services/pay/regions/cf-south-2", "{\"autoscaling\":{\"minReplicas\":4},\"config\":{\"CURRENCY\":\"USD\"}}");

        JsonNode south1 = api().get(BASE + "/services/pay/regions/cf-south-1/rendered?version=1.0", TestTokens.viewer()).json();
        JsonNode south2 = api().get(BASE + "/services/pay/regions/cf-south-2/rendered?version=1.0", TestTokens.viewer()).json();
        assertThat(south1.at("/manifests/1/spec/template/spec/containers/0/image").asString())
                .isEqualTo("registry.cf-south-1.local:5000/meridian/pay:1.0");
        assertThat(south2.at("/manifests/1/spec/template/spec/containers/0/image").asString()).isEqualTo("docker.io/meridian/pay:1.0");
        assertThat(south1.at("/manifests/0/data/CURRENCY").asString()).isEqualTo("JPY");
        assertThat(south2.at("/manifests/0/data/CURRENCY").asString()).isEqualTo("USD");
        assertThat(south2.at("/manifests/3/spec/minReplicas").asInt()).isEqualTo(4);
        assertThat(south1.at("/sources/image.registry").asString()).isEqualTo("region/cf-south-1");
        assertThat(south2.at("/sources/config.CURRENCY").asString()).isEqualTo("override/pay/cf-south-2");
        assertThat(south2.at("/sources/port").asString()).isEqualTo("defaults");

        // A service template of its own: validated naming every field, then used.
        Response bad = api().send("PUT", BASE + "/services/pay/template", TestTokens.operator(),
                "{\"manifests\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{}}]}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("errors")).extracting(e -> e.get("field").asString())
                .containsExactly("manifests[0].kind", "manifests[0].metadata.name");
        Response template = api().send("PUT", BASE + "/services/pay/template", TestTokens.operator(), """
                {"manifests":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"{{ .Release.Service }}-{{ .Release.Region }}"},
                  "spec":{"replicas":"{{ .Values.autoscaling.minReplicas }}","selector":{"matchLabels":{"app":"pay"}},
                    "template":{"metadata":{"labels":{"app":"pay"}},"spec":{"containers":[{"name":"pay",
                      "image":"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Release.Version }}"}]}}}}]}
                """);
        assertThat(template.status()).as(template.body()).isEqualTo(201);
        JsonNode custom = api().get(BASE + "/services/pay/regions/cf-south-2/rendered?version=2.0", TestTokens.viewer()).json();
        assertThat(custom.get("manifests")).hasSize(1);
        assertThat(custom.at("/manifests/0/metadata/name").asString()).isEqualTo("pay-cf-south-2");
        assertThat(custom.at("/manifests/0/spec/replicas").asInt()).isEqualTo(4);
        assertThat(api().get(BASE + "/services/pay/template", TestTokens.viewer()).header("ETag")).isEqualTo("\"1\"");
        assertThat(api().get(BASE + "/services/other/template", TestTokens.viewer()).status()).isEqualTo(404);
        assertThat(api().get(BASE + "/templates/standard", TestTokens.viewer()).json().get("manifests")).hasSize(5);
        assertThat(api().send("DELETE", BASE + "/services/pay/template", TestTokens.operator(), null, Map.of("If-Match", "\"1\"")).status())
                .isEqualTo(204);
        assertThat(api().get(BASE + "/services/pay/regions/cf-south-2/rendered?version=2.0", TestTokens.viewer()).json().get("manifests"))
                .as("back to the standard template").hasSize(5);
        assertThat(api().get(BASE + "/services/pay/regions/cf-south-2/rendered", TestTokens.viewer()).json().get("field").asString())
                .as("nothing deployed yet, so the version is needed").isEqualTo("version");
        assertThat(api().get(BASE + "/services/pay/regions/cf-south-2/rendered?version=1.0&format=xml", TestTokens.viewer()).json()
                .get("field").asString()).isEqualTo("format");
        assertThat(api().get(BASE + "/services/pay/regions/zz-none-5/rendered?version=1.0", TestTokens.viewer()).status()).isEqualTo(404);
    }

    private void put(String path, String values) {
        Response response = api().send("PUT", path, TestTokens.operator(), "{\"values\":" + values + "}");
        assertThat(response.status()).as(response.body()).isEqualTo(201);
    }
}
