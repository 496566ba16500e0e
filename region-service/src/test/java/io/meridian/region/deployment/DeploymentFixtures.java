package io.meridian.region.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.meridian.common.events.Topics;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/** Shared steps of the deployment tests: regions on mock clusters, values, deployments, waiting for states, events. */
final class DeploymentFixtures {

    static final String NS = "meridian";

    private final ApiClient api;

    DeploymentFixtures(ApiClient api) {
        this.api = api;
    }

    ApiClient api() {
        return api;
    }

    /** Registers {@code id} with its Kubernetes API at {@code kubernetesApi}. */
    void region(String id, String kubernetesApi) {
        String body = """
                {"id":"%1$s","displayName":"Region %1$s","provider":"local",
                 "location":{"latitude":50.1,"longitude":8.6,"country":"DE"},"zone":"EU","regimes":["GDPR"],
                 "status":"ACTIVE","endpoints":{"kubernetesApi":"%2$s","kubernetesContext":"%1$s",
                 "databases":[],"objectStore":{"endpoint":"http://127.0.0.1:19000","bucket":"meridian-%1$s"},"ingressUrl":"http://127.0.0.1:18101"},
                 "capacity":{"cpuCores":32,"memoryGib":128},"labels":{}}
                """.formatted(id, kubernetesApi);
        ApiClient.Response created = api.send("POST", "/api/v1/regions", TestTokens.operator(), body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        ApiClient.Response values = api.send("PUT", "/api/v1/deployments/config/values/regions/" + id, TestTokens.operator(),
                "{\"values\":{\"image\":{\"registry\":\"registry." + id + ".local:5000\"}}}");
        assertThat(values.status()).as(values.body()).isEqualTo(201);
    }

    /** Stores the service's values (its image repository plus {@code extra} JSON members). */
    void service(String service, String extra) {
        ApiClient.Response put = api.send("PUT", "/api/v1/deployments/config/values/services/" + service, TestTokens.operator(),
                "{\"values\":{\"image\":{\"repository\":\"meridian/" + service + "\"}" + (extra.isEmpty() ? "" : "," + extra) + "}}");
        assertThat(put.status()).as(put.body()).isEqualTo(201);
    }

    /** Starts a deployment; returns its id. */
    String deploy(String service, String version, String... regions) {
        ApiClient.Response response = api.send("POST", "/api/v1/deployments", TestTokens.operator(),
                ApiClient.json(Map.of("service", service, "version", version, "regions", List.of(regions))));
        assertThat(response.status()).as(response.body()).isEqualTo(202);
        assertThat(response.header("Location")).startsWith("/api/v1/deployments/");
        return response.json().get("id").asString();
    }

    JsonNode deployment(String id) {
        ApiClient.Response response = api.get("/api/v1/deployments/" + id, TestTokens.viewer());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    static JsonNode region(JsonNode deployment, String region) {
        for (JsonNode run : deployment.get("regions")) {
            if (run.get("region").asString().equals(region)) {
                return run;
            }
        }
        throw new AssertionError("no region " + region + " in " + deployment);
    }

    /** Waits until {@code region} of deployment {@code id} is in {@code state}; returns the deployment. */
    JsonNode awaitRegion(String id, String region, String state) {
        JsonNode[] last = new JsonNode[1];
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            last[0] = deployment(id);
            assertThat(region(last[0], region).get("state").asString()).as(last[0].toString()).isEqualTo(state);
        });
        return last[0];
    }

    /** Events on meridian.rollout-events with {@code key}, in order, read until {@code done} is satisfied. */
    static List<CloudEvent> events(String key, java.util.function.Predicate<List<CloudEvent>> done) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfrastructure.get().kafka().bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "deployment-test-" + System.nanoTime());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<CloudEvent> events = new ArrayList<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new CloudEventDeserializer())) {
            consumer.subscribe(List.of(Topics.ROLLOUT_EVENTS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && !done.test(events)) {
                for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofMillis(300))) {
                    if (key.equals(record.key())) {
                        events.add(record.value());
                    }
                }
            }
        }
        return events;
    }
}
