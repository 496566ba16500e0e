package io.meridian.region;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.web.FilterChainProxy;
import org.springframework.security.web.ObservationFilterChainDecorator;
import org.springframework.test.util.ReflectionTestUtils;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.testsupport.OpenEndpointWalk;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RegionServiceIntegrationTests extends ServiceIntegrationTest {

    static final String EU_WEST = """
            {"id":"eu-west-1","displayName":"Europe (Ireland)","provider":"local",
             "location":{"latitude":53.35,"longitude":-6.26,"country":"IE"},"zone":"EU","regimes":["GDPR","SOC2"],
             "status":"ACTIVE","endpoints":{"kubernetesApi":"http://127.0.0.1:16445","kubernetesContext":"eu-west-1",
             "databases":[{"name":"app","jdbcUrl":"jdbc:postgresql://127.0.0.1:15435/app","role":"PRIMARY"}],
             "objectStore":{"endpoint":"http://127.0.0.1:19000","bucket":"meridian-eu-west-1"},"ingressUrl":"http://127.0.0.1:18103"},
             "capacity":{"cpuCores":64,"memoryGib":256},"labels":{"tier":"gold"}}
            """;

    @Autowired
    KafkaAdmin kafkaAdmin;

    @Test
    void theSharedStateTopicsAreCompacted() {
        // Producers may auto-create a topic first (the broker's default policy, delete); the provisioner makes it compacted.
        try (Admin admin = Admin.create(kafkaAdmin.getConfigurationProperties())) {
            for (String name : Topics.COMPACTED) {
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, name);
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    Config config = admin.describeConfigs(List.of(topic)).all().get(10, TimeUnit.SECONDS).get(topic);
                    assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).as(name).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
                });
            }
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    ApplicationContext context;

    final HttpClient http = HttpClient.newHttpClient();
    final JsonMapper json = JsonMapper.builder().build();

    @Test
    void everyMappingDemandsTheRightRole() {
        List<OpenEndpointWalk.Endpoint> checked = new OpenEndpointWalk(URI.create("http://127.0.0.1:" + port), Map.of("id", "zz-none-9"))
                .walk(context);
        assertThat(checked).extracting(OpenEndpointWalk.Endpoint::path).contains("/api/v1/regions", "/api/v1/regions/audit");
        assertThat(checked).anySatisfy(endpoint -> {
            assertThat(endpoint.method()).isEqualTo("POST");
            assertThat(endpoint.requiredRole()).isEqualTo("operator");
        });
    }

    @Test
    void springSecurityDoesNotWrapItsFiltersInNoOpObservations() {
        // management.observations.enable.spring.security=false (the services' default) makes those observations no-ops;
        // the settings bean keeps Spring Security from wrapping every filter in them at all.
        assertThat(context.getBean(SecurityObservationSettings.class).shouldObserveRequests()).isFalse();
        Object decorator = ReflectionTestUtils.getField(context.getBean(FilterChainProxy.class), "filterChainDecorator");
        assertThat(decorator).isNotNull().isNotInstanceOf(ObservationFilterChainDecorator.class);
    }

    @Test
    void registersReadsAuditsAndPublishesARegion() throws Exception {
        HttpResponse<String> created = send("POST", "/api/v1/regions", TestTokens.operator(), EU_WEST.replace("eu-west-1", "eu-west-3")
                .replace("meridian-eu-west-3", "meridian-eu-west-3"));
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("ETag")).contains("\"1\"");
        assertThat(created.headers().firstValue("Location")).contains("/api/v1/regions/eu-west-3");

        HttpResponse<String> read = send("GET", "/api/v1/regions/eu-west-3", TestTokens.viewer(), null);
        assertThat(read.statusCode()).isEqualTo(200);
        JsonNode region = json.readTree(read.body());
        assertThat(region.get("zone").asString()).isEqualTo("EU");
        assertThat(region.get("location").get("country").asString()).isEqualTo("IE");

        HttpResponse<String> again = send("POST", "/api/v1/regions", TestTokens.operator(), EU_WEST.replace("eu-west-1", "eu-west-3"));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json.readTree(again.body()).get("type").asString()).isEqualTo("https://meridian.dev/problems/already-exists");

        HttpResponse<String> audit = send("GET", "/api/v1/regions/audit?target=region/eu-west-3", TestTokens.viewer(), null);
        JsonNode records = json.readTree(audit.body());
        assertThat(records).anySatisfy(record -> {
            assertThat(record.get("action").asString()).isEqualTo("region.register");
            assertThat(record.get("actor").asString()).isEqualTo("test-operator");
            assertThat(record.get("reason").asString()).isEqualTo("integration test");
            assertThat(record.get("outcome").asString()).isEqualTo("SUCCEEDED");
            assertThat(record.get("after").get("id").asString()).isEqualTo("eu-west-3");
        });
        JsonNode all = json.readTree(send("GET", "/api/v1/regions/audit", TestTokens.viewer(), null).body());
        assertThat(all).as("the rejected duplicate is recorded too").anySatisfy(record -> {
            assertThat(record.get("action").asString()).isEqualTo("POST /api/v1/regions");
            assertThat(record.get("outcome").asString()).isEqualTo("REJECTED");
            assertThat(record.get("detail").asString()).isEqualTo("HTTP 409");
        });

        CloudEvent event = firstEventFor("eu-west-3");
        assertThat(event.getType()).isEqualTo(EventTypes.REGION_UPSERTED);
        assertThat(MeridianEvents.version(event)).isEqualTo(1);
        assertThat(MeridianEvents.data(event, io.meridian.common.region.RegionChanged.class).region().id().value()).isEqualTo("eu-west-3");
    }

    @Test
    void anActionsOperationIdIsAnsweredAndRecordedWithItsAudit() throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/regions"))
                .timeout(Duration.ofSeconds(20)).header("X-Meridian-Reason", "integration test")
                .header("Authorization", "Bearer " + TestTokens.operator()).header("Content-Type", "application/json")
                .header("X-Request-Id", "ops-tool.4711")
                .POST(HttpRequest.BodyPublishers.ofString(EU_WEST.replace("eu-west-1", "eu-west-7")));
        HttpResponse<String> created = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("X-Request-Id")).contains("ops-tool.4711");

        JsonNode records = json.readTree(send("GET", "/api/v1/regions/audit?target=region/eu-west-7", TestTokens.viewer(), null).body());
        assertThat(records).anySatisfy(record -> {
            assertThat(record.get("action").asString()).isEqualTo("region.register");
            assertThat(record.get("operation").asString()).isEqualTo("ops-tool.4711");
        });

        HttpResponse<String> unnamed = send("GET", "/api/v1/regions/eu-west-7", TestTokens.viewer(), null);
        assertThat(unnamed.headers().firstValue("X-Request-Id")).as("a request without an id gets one")
                .hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f]{16}"));
    }

    @Test
    void invalidFieldsAreNamedAndNothingIsWritten() throws Exception {
        assertInvalid(EU_WEST.replace("eu-west-1\",\"displayName", "EU_WEST\",\"displayName").replace("eu-west-1", "eu-west-4"), "id");
        assertInvalid(EU_WEST.replace("53.35", "153.35").replace("eu-west-1", "eu-west-4"), "location.latitude");
        assertInvalid(EU_WEST.replace("\"zone\":\"EU\"", "\"zone\":\"MARS\"").replace("eu-west-1", "eu-west-4"), "zone");
        assertInvalid(EU_WEST.replace("\"zone\":\"EU\"", "\"zone\":\"US\"").replace("eu-west-1", "eu-west-4"), "regimes");
        assertInvalid(EU_WEST.replace("http://127.0.0.1:18103", "not a url").replace("eu-west-1", "eu-west-4"), "endpoints.ingressUrl");
        HttpResponse<String> malformed = send("POST", "/api/v1/regions", TestTokens.operator(), "{\"id\":");
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(malformed.headers().firstValue("Content-Type")).hasValueSatisfying(value -> assertThat(value).startsWith("application/problem+json"));
        assertThat(send("GET", "/api/v1/regions/eu-west-4", TestTokens.viewer(), null).statusCode()).isEqualTo(404);
        HttpResponse<String> badId = send("GET", "/api/v1/regions/Not_An_Id", TestTokens.viewer(), null);
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(json.readTree(badId.body()).get("field").asString()).isEqualTo("id");
    }

    @Test
    void refusesMissingAndBrokenTokensWithProblemDetails() throws Exception {
        HttpResponse<String> anonymous = send("GET", "/api/v1/regions", null, null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("Content-Type")).hasValueSatisfying(value -> assertThat(value).startsWith("application/problem+json"));
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(value -> assertThat(value).startsWith("Bearer"));
        assertThat(json.readTree(anonymous.body()).get("type").asString()).isEqualTo("https://meridian.dev/problems/unauthenticated");
        for (String token : TestTokens.invalid()) {
            assertThat(send("GET", "/api/v1/regions", token, null).statusCode()).as(token).isEqualTo(401);
        }
        HttpResponse<String> viewerWrite = send("POST", "/api/v1/regions", TestTokens.viewer(), EU_WEST);
        assertThat(viewerWrite.statusCode()).isEqualTo(403);
        assertThat(json.readTree(viewerWrite.body()).get("type").asString()).isEqualTo("https://meridian.dev/problems/forbidden");
    }

    @Test
    void conformsToTheServiceContract() throws Exception {
        new io.meridian.testsupport.ServiceConformance(URI.create("http://127.0.0.1:" + port), "region-service", "/api/v1/regions").check();
    }

    @Test
    void exposesProbesMetricsAndApiDocs() throws Exception {
        HttpResponse<String> readiness = send("GET", "/actuator/health/readiness", null, null);
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(send("GET", "/actuator/health/liveness", null, null).statusCode()).isEqualTo(200);
        HttpResponse<String> prometheus = send("GET", "/actuator/prometheus", null, null);
        assertThat(prometheus.body()).contains("http_server_requests", "application=\"region-service\"");
        HttpResponse<String> docs = send("GET", "/v3/api-docs", null, null);
        assertThat(docs.statusCode()).isEqualTo(200);
        assertThat(json.readTree(docs.body()).get("paths").has("/api/v1/regions")).isTrue();
        HttpResponse<String> details = send("GET", "/actuator/health", TestTokens.admin(), null);
        assertThat(json.readTree(details.body()).get("components").get("kafka").get("status").asString()).isEqualTo("UP");
    }

    private void assertInvalid(String body, String field) throws Exception {
        HttpResponse<String> response = send("POST", "/api/v1/regions", TestTokens.operator(), body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode problem = json.readTree(response.body());
        assertThat(problem.path("type").asString()).as(response.body()).isEqualTo("https://meridian.dev/problems/validation");
        assertThat(problem.path("field").asString()).as(response.body()).isEqualTo(field);
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).header("X-Meridian-Reason", "integration test");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private CloudEvent firstEventFor(String key) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfrastructure.get().kafka().bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "region-test-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new CloudEventDeserializer())) {
            consumer.subscribe(List.of(Topics.REGION_EVENTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofMillis(500))) {
                    if (key.equals(record.key())) {
                        return record.value();
                    }
                }
            }
        }
        throw new AssertionError("no event for " + key + " on " + Topics.REGION_EVENTS);
    }
}
