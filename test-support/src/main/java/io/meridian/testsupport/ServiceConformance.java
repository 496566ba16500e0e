package io.meridian.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The contract every Meridian servlet service keeps, checked over real HTTP against a running
 * instance: liveness and readiness probes (readiness covering the database and Kafka), Prometheus
 * metrics tagged with the service, OpenAPI docs, the audit log behind {@code viewer}, and RFC 9457
 * problem details for missing tokens, broken tokens, unknown paths and invalid parameters.
 */
public final class ServiceConformance {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final JsonMapper json = JsonMapper.builder().build();
    private final URI base;
    private final String serviceName;
    private final String apiBase;

    public ServiceConformance(URI base, String serviceName, String apiBase) {
        this.base = base;
        this.serviceName = serviceName;
        this.apiBase = apiBase;
    }

    /** Runs every check; fails on the first broken one. */
    public void check() throws Exception {
        assertThat(get("/actuator/health/liveness", null).statusCode()).isEqualTo(200);
        HttpResponse<String> readiness = get("/actuator/health/readiness", null);
        assertThat(readiness.statusCode()).as(readiness.body()).isEqualTo(200);
        JsonNode health = json.readTree(get("/actuator/health", TestTokens.admin()).body());
        assertThat(health.get("components").get("db").get("status").asString()).isEqualTo("UP");
        assertThat(health.get("components").get("kafka").get("status").asString()).isEqualTo("UP");
        JsonNode readinessGroup = json.readTree(get("/actuator/health/readiness", TestTokens.admin()).body());
        assertThat(readinessGroup.get("components").propertyNames()).as("readiness covers the dependencies")
                .contains("db", "kafka", "readinessState");

        HttpResponse<String> prometheus = get("/actuator/prometheus", null);
        assertThat(prometheus.statusCode()).isEqualTo(200);
        assertThat(prometheus.body()).contains("application=\"" + serviceName + "\"");

        HttpResponse<String> docs = get("/v3/api-docs", null);
        assertThat(docs.statusCode()).isEqualTo(200);
        JsonNode openApi = json.readTree(docs.body());
        assertThat(openApi.get("paths").has(apiBase + "/audit")).isTrue();
        assertThat(openApi.get("components").get("securitySchemes").has("bearer")).isTrue();
        assertThat(get("/swagger-ui.html", null).statusCode()).isIn(200, 302);

        HttpResponse<String> anonymous = get(apiBase + "/audit", null);
        assertProblem(anonymous, 401, "unauthenticated");
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        for (String token : TestTokens.invalid()) {
            assertThat(get(apiBase + "/audit", token).statusCode()).as("broken token %s", token).isEqualTo(401);
        }
        HttpResponse<String> audit = get(apiBase + "/audit", TestTokens.viewer());
        assertThat(audit.statusCode()).isEqualTo(200);
        assertThat(json.readTree(audit.body()).isArray()).isTrue();

        HttpResponse<String> invalid = get(apiBase + "/audit?limit=0", TestTokens.viewer());
        assertProblem(invalid, 400, "validation");
        assertThat(json.readTree(invalid.body()).get("field").asString()).isEqualTo("limit");
        assertProblem(get(apiBase + "/audit?limit=many", TestTokens.viewer()), 400, "validation");
        assertProblem(get(apiBase + "/no/such/thing", TestTokens.viewer()), 404, "not-found");
        assertProblem(send("PATCH", apiBase + "/audit", TestTokens.admin()), 405, "method-not-allowed");
        assertProblem(get("/not-an-api", TestTokens.admin()), 403, "forbidden");
        // Rejected by the firewall before any handler: the container's error dispatch answers, as a problem too.
        assertProblem(get(apiBase + "/audit;evil=1", TestTokens.viewer()), 400, "malformed-request");
    }

    private void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                value -> assertThat(value).startsWith("application/problem+json"));
        JsonNode problem = json.readTree(response.body());
        assertThat(problem.path("type").asString()).as(response.body()).isEqualTo("https://meridian.dev/problems/" + type);
        assertThat(problem.path("status").asInt()).as(response.body()).isEqualTo(status);
        assertThat(problem.path("title").asString()).as(response.body()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception", "at io.", "at org.");
    }

    private HttpResponse<String> get(String path, @Nullable String token) throws Exception {
        return send("GET", path, token);
    }

    private HttpResponse<String> send(String method, String path, @Nullable String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
