package io.meridian.region;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventSerializer;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.region.RegionChanged;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.CompactedTopicReader;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ApiClient.Response;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class RegionRegistryIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;

    final JsonMapper json = JsonMapper.builder().build();

    ApiClient api() {
        return new ApiClient(port);
    }

    static String region(String id, String zone, String regimes, double lat, double lon, String country) {
        return """
                {"id":"%1$s","displayName":"Region %1$s","provider":"local",
                 "location":{"latitude":%4$s,"longitude":%5$s,"country":"%6$s"},"zone":"%2$s","regimes":[%3$s],
                 "status":"ACTIVE","endpoints":{"kubernetesApi":"http://127.0.0.1:16443","kubernetesContext":"%1$s",
                 "databases":[{"name":"app","jdbcUrl":"jdbc:postgresql://127.0.0.1:15433/app","role":"PRIMARY"}],
                 "objectStore":{"endpoint":"http://127.0.0.1:19000","bucket":"meridian-%1$s"},"ingressUrl":"http://127.0.0.1:18101"},
                 "capacity":{"cpuCores":32,"memoryGib":128},"labels":{}}
                """.formatted(id, zone, regimes, lat, lon, country);
    }

    Response register(String id) {
        Response created = api().send("POST", "/api/v1/regions", TestTokens.operator(), region(id, "US", "\"CCPA\"", 38.9, -77.4, "US"));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return created;
    }

    @Test
    void updatesNeedTheCurrentVersionAndLeaveNothingHalfWritten() {
        register("us-south-1");
        String changed = region("us-south-1", "US", "\"CCPA\"", 29.4, -98.5, "US").replace("Region us-south-1", "Texas");
        assertThat(api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(), changed).status()).isEqualTo(428);
        Response stale = api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(), changed, Map.of("If-Match", "\"7\""));
        assertThat(stale.status()).isEqualTo(412);
        assertThat(stale.json().get("currentVersion").asLong()).isEqualTo(1);
        assertThat(api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(), changed, Map.of("If-Match", "7")).status())
                .isEqualTo(400);

        Response wrongStatus = api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(),
                changed.replace("\"ACTIVE\"", "\"FAILED\""), Map.of("If-Match", "\"1\""));
        assertThat(wrongStatus.status()).isEqualTo(400);
        assertThat(wrongStatus.json().get("field").asString()).isEqualTo("status");
        Response wrongId = api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(),
                changed.replace("\"id\":\"us-south-1\"", "\"id\":\"us-south-2\""), Map.of("If-Match", "\"1\""));
        assertThat(wrongId.json().get("field").asString()).isEqualTo("id");
        Response invalid = api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(),
                changed.replace("29.4", "-129.4"), Map.of("If-Match", "\"1\""));
        assertThat(invalid.json().get("field").asString()).isEqualTo("location.latitude");
        assertThat(api().get("/api/v1/regions/us-south-1", TestTokens.viewer()).header("ETag")).as("nothing was written").isEqualTo("\"1\"");

        Response updated = api().send("PUT", "/api/v1/regions/us-south-1", TestTokens.operator(), changed, Map.of("If-Match", "\"1\""));
        assertThat(updated.status()).isEqualTo(200);
        assertThat(updated.header("ETag")).isEqualTo("\"2\"");
        assertThat(updated.json().get("displayName").asString()).isEqualTo("Texas");
        JsonNode audit = api().get("/api/v1/regions/audit?target=region/us-south-1", TestTokens.viewer()).json();
        assertThat(audit).anySatisfy(record -> {
            assertThat(record.get("action").asString()).isEqualTo("region.update");
            assertThat(record.get("before").get("displayName").asString()).isEqualTo("Region us-south-1");
            assertThat(record.get("after").get("displayName").asString()).isEqualTo("Texas");
        });
    }

    @Test
    void lifecycleActionsAllowOnlyLegalMovesWithAReason() {
        register("us-north-1");
        String reason = "{\"reason\":\"planned upgrade\"}";
        Response drained = api().send("POST", "/api/v1/regions/us-north-1/drain", TestTokens.operator(), reason);
        assertThat(drained.status()).isEqualTo(200);
        assertThat(drained.json().get("status").asString()).isEqualTo("DRAINING");
        assertThat(drained.header("ETag")).isEqualTo("\"2\"");
        Response again = api().send("POST", "/api/v1/regions/us-north-1/drain", TestTokens.operator(), reason);
        assertThat(again.header("ETag")).as("repeating an action changes nothing").isEqualTo("\"2\"");

        Response blank = api().send("POST", "/api/v1/regions/us-north-1/maintenance", TestTokens.operator(), "{\"reason\":\" \"}");
        assertThat(blank.status()).isEqualTo(400);
        assertThat(blank.json().get("field").asString()).isEqualTo("reason");
        assertThat(api().send("POST", "/api/v1/regions/us-north-1/maintenance", TestTokens.operator(), "{}").status()).isEqualTo(400);

        assertThat(api().send("POST", "/api/v1/regions/us-north-1/fail", TestTokens.operator(), reason).status()).isEqualTo(200);
        Response illegal = api().send("POST", "/api/v1/regions/us-north-1/activate", TestTokens.operator(), reason);
        assertThat(illegal.status()).isEqualTo(409);
        assertThat(illegal.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/illegal-transition");
        assertThat(illegal.json().get("allowed")).extracting(JsonNode::asString).containsExactly("DEGRADED", "MAINTENANCE");

        assertThat(api().send("POST", "/api/v1/regions/us-north-1/recover", TestTokens.operator(), reason).json().get("status").asString())
                .isEqualTo("DEGRADED");
        assertThat(api().send("POST", "/api/v1/regions/us-north-1/recover", TestTokens.operator(), reason).status())
                .as("recover only applies to failed regions").isEqualTo(409);
        assertThat(api().send("POST", "/api/v1/regions/us-north-1/activate", TestTokens.operator(), reason, Map.of("If-Match", "\"3\""))
                .status()).as("stale If-Match").isEqualTo(412);
        Response active = api().send("POST", "/api/v1/regions/us-north-1/activate", TestTokens.operator(), reason);
        assertThat(active.json().get("status").asString()).isEqualTo("ACTIVE");

        JsonNode audit = api().get("/api/v1/regions/audit?target=region/us-north-1", TestTokens.viewer()).json();
        assertThat(audit).anySatisfy(record -> {
            assertThat(record.get("action").asString()).isEqualTo("region.drain");
            assertThat(record.get("reason").asString()).isEqualTo("planned upgrade");
            assertThat(record.get("detail").asString()).isEqualTo("ACTIVE -> DRAINING");
        });
        assertThat(api().get("/api/v1/regions?status=DRAINING", TestTokens.viewer()).json()).noneSatisfy(
                region -> assertThat(region.get("id").asString()).isEqualTo("us-north-1"));
        assertThat(api().get("/api/v1/regions?zone=US", TestTokens.viewer()).json()).anySatisfy(
                region -> assertThat(region.get("id").asString()).isEqualTo("us-north-1"));
        assertThat(api().get("/api/v1/regions?zone=MARS", TestTokens.viewer()).status()).isEqualTo(400);
    }

    @Test
    void removalNeedsAdminAnOutOfServiceRegionAndTheCurrentVersion() {
        register("us-east-9");
        assertThat(api().send("DELETE", "/api/v1/regions/us-east-9", TestTokens.operator(), null, Map.of("If-Match", "\"1\"")).status())
                .isEqualTo(403);
        assertThat(api().send("DELETE", "/api/v1/regions/us-east-9", TestTokens.admin(), null).status()).isEqualTo(428);
        Response inService = api().send("DELETE", "/api/v1/regions/us-east-9", TestTokens.admin(), null, Map.of("If-Match", "\"1\""));
        assertThat(inService.status()).isEqualTo(409);
        assertThat(inService.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/region-in-service");
        api().send("POST", "/api/v1/regions/us-east-9/maintenance", TestTokens.operator(), "{\"reason\":\"decommission\"}");
        assertThat(api().send("DELETE", "/api/v1/regions/us-east-9", TestTokens.admin(), null, Map.of("If-Match", "\"2\"")).status())
                .isEqualTo(204);
        assertThat(api().get("/api/v1/regions/us-east-9", TestTokens.viewer()).status()).isEqualTo(404);
        assertThat(api().send("POST", "/api/v1/regions", TestTokens.operator(),
                region("us-east-8", "US", "", 1, 1, "US").replace("\"ACTIVE\"", "\"DRAINING\"")).json().get("field").asString())
                .isEqualTo("status");
    }

    @Test
    void aConsumerStartingLateRebuildsTheRegistryFromTheTopicAlone() {
        register("ca-central-7");
        register("ca-central-8");
        api().send("POST", "/api/v1/regions/ca-central-8/drain", TestTokens.operator(), "{\"reason\":\"rebuild test\"}");
        api().send("POST", "/api/v1/regions/ca-central-7/maintenance", TestTokens.operator(), "{\"reason\":\"rebuild test\"}");
        api().send("DELETE", "/api/v1/regions/ca-central-7", TestTokens.admin(), null, Map.of("If-Match", "\"2\""));

        CompactedTopicReader reader = new CompactedTopicReader(TestInfrastructure.get().kafka().bootstrapServers());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Map<String, CloudEvent> state = reader.read(Topics.REGION_EVENTS, Duration.ofSeconds(20));
            Map<String, JsonNode> fromTopic = new HashMap<>();
            state.forEach((key, event) -> fromTopic.put(key, json.valueToTree(MeridianEvents.data(event, RegionChanged.class).region())));
            JsonNode fromApi = api().get("/api/v1/regions", TestTokens.viewer()).json();
            assertThat(fromTopic).doesNotContainKey("ca-central-7");
            assertThat(fromTopic).hasSameSizeAs(fromApi);
            for (JsonNode region : fromApi) {
                assertThat(fromTopic.get(region.get("id").asString())).as(region.get("id").asString()).isEqualTo(region);
            }
            assertThat(MeridianEvents.version(state.get("ca-central-8"))).isEqualTo(2);
            assertThat(state.get("ca-central-8").getType()).isEqualTo(EventTypes.REGION_STATUS_CHANGED);
        });
    }

    @Test
    void latencyMatrixPrefersMeasurementsAndEstimatesTheRest() {
        register("eu-south-5");
        register("eu-south-6");
        register("eu-south-7");
        Response bad = api().send("PUT", "/api/v1/regions/eu-south-5/latency/eu-south-6", TestTokens.operator(),
                "{\"rttMillis\":-3,\"source\":\"probe\"}");
        assertThat(bad.json().get("field").asString()).isEqualTo("rttMillis");
        assertThat(api().send("PUT", "/api/v1/regions/eu-south-5/latency/eu-south-5", TestTokens.operator(),
                "{\"rttMillis\":3,\"source\":\"probe\"}").json().get("field").asString()).isEqualTo("to");
        assertThat(api().send("PUT", "/api/v1/regions/eu-south-5/latency/zz-none-1", TestTokens.operator(),
                "{\"rttMillis\":3,\"source\":\"probe\"}").status()).isEqualTo(404);
        Response measured = api().send("PUT", "/api/v1/regions/eu-south-5/latency/eu-south-6", TestTokens.operator(),
                "{\"rttMillis\":12.5,\"source\":\"probe\"}");
        assertThat(measured.status()).as(measured.body()).isEqualTo(200);

        JsonNode matrix = api().get("/api/v1/regions/latency", TestTokens.viewer()).json();
        assertThat(matrix).anySatisfy(entry -> {
            assertThat(entry.get("from").asString()).isEqualTo("eu-south-6");
            assertThat(entry.get("to").asString()).isEqualTo("eu-south-5");
            assertThat(entry.get("kind").asString()).as("a measurement serves both directions").isEqualTo("MEASURED");
            assertThat(entry.get("rttMillis").asDouble()).isEqualTo(12.5);
        });
        assertThat(matrix).anySatisfy(entry -> {
            assertThat(entry.get("kind").asString()).isEqualTo("ESTIMATED");
            assertThat(entry.get("source").asString()).isEqualTo("great-circle");
        });
    }

    @Test
    void placementExplainsEveryExclusionOverHttp() {
        api().send("POST", "/api/v1/regions", TestTokens.operator(), region("eu-north-4", "EU", "\"GDPR\"", 59.3, 18.1, "SE"));
        register("us-west-4");
        Response placement = api().get("/api/v1/placements?service=checkout&regime=GDPR", TestTokens.viewer());
        assertThat(placement.status()).as(placement.body()).isEqualTo(200);
        assertThat(placement.json().get("eligible")).extracting(JsonNode::asString).contains("eu-north-4").doesNotContain("us-west-4");
        assertThat(placement.json().get("excluded")).anySatisfy(exclusion -> {
            assertThat(exclusion.get("region").asString()).isEqualTo("us-west-4");
            assertThat(exclusion.get("reasons").get(0).get("code").asString()).isEqualTo("residency");
        });
        Response conflict = api().get("/api/v1/placements?service=checkout&regime=GDPR&zone=US", TestTokens.viewer());
        assertThat(conflict.status()).isEqualTo(400);
        assertThat(conflict.json().get("field").asString()).isEqualTo("zone");
        assertThat(api().get("/api/v1/placements?service=checkout&regime=XYZ", TestTokens.viewer()).json().get("field").asString())
                .isEqualTo("regime[0]");
        assertThat(api().get("/api/v1/placements?service=checkout&minCpu=-1", TestTokens.viewer()).json().get("field").asString())
                .isEqualTo("minCpu");
        assertThat(api().get("/api/v1/placements?service=checkout&label=tier", TestTokens.viewer()).json().get("field").asString())
                .isEqualTo("label[0]");
        assertThat(api().get("/api/v1/placements", TestTokens.viewer()).status()).isEqualTo(400);
    }

    @Test
    void healthScoresFollowObservationsAndIgnoreStaleOnes() throws Exception {
        register("sa-east-3");
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfrastructure.get().kafka().bootstrapServers());
        HybridLogicalClock clock = HybridLogicalClock.system();
        Instant now = Instant.now();
        try (KafkaProducer<String, CloudEvent> producer = new KafkaProducer<>(config, new StringSerializer(), new CloudEventSerializer())) {
            for (int i = 0; i < 5; i++) {
                HealthObservation observation = new HealthObservation(RegionId.of("sa-east-3"), "prober-a", false, 900.0,
                        now.plusMillis(i), "HTTP 503");
                producer.send(new ProducerRecord<>(Topics.HEALTH_OBSERVATIONS, "sa-east-3", MeridianEvents.event(EventTypes.HEALTH_OBSERVED,
                        URI.create("/test"), "sa-east-3", i, clock.now(), observation))).get();
            }
            // Older than everything applied: must not count.
            HealthObservation stale = new HealthObservation(RegionId.of("sa-east-3"), "prober-b", true, 5.0, now.minusSeconds(60), "ok");
            producer.send(new ProducerRecord<>(Topics.HEALTH_OBSERVATIONS, "sa-east-3", MeridianEvents.event(EventTypes.HEALTH_OBSERVED,
                    URI.create("/test"), "sa-east-3", 9, clock.now(), stale))).get();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Response health = api().get("/api/v1/regions/sa-east-3/health", TestTokens.viewer());
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.json().get("observations").asLong()).isEqualTo(5);
            assertThat(health.json().get("score").asDouble()).isZero();
            assertThat(health.json().get("lastObserver").asString()).isEqualTo("prober-a");
        });
        assertThat(api().get("/api/v1/regions/zz-none-4/health", TestTokens.viewer()).status()).isEqualTo(404);
        assertThat(List.of(api().get("/api/v1/regions/health", TestTokens.viewer()).json())).isNotEmpty();
    }
}
