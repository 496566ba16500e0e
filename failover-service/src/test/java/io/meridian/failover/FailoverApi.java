package io.meridian.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.failover.FailoverEvent;
import io.meridian.support.kafka.Tombstones;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/** The failover API as the tests use it, over real HTTP. */
final class FailoverApi {

    /** Generous: the machine is shared by several builds. */
    static final Duration PATIENCE = Duration.ofSeconds(90);

    final ApiClient http;

    FailoverApi(int port) {
        this.http = new ApiClient(port);
    }

    void register(PgCluster cluster, String body) {
        ApiClient.Response created = http.send("POST", "/api/v1/failover/clusters", TestTokens.admin(), body);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }

    void remove(String cluster) {
        await().atMost(PATIENCE).until(() -> http.send("DELETE", "/api/v1/failover/clusters/" + cluster, TestTokens.admin(), null).status() == 204);
    }

    JsonNode status() {
        ApiClient.Response response = http.get("/api/v1/failover/status", TestTokens.viewer());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    JsonNode cluster(String name) {
        for (JsonNode cluster : status().get("clusters")) {
            if (cluster.get("name").asString().equals(name)) {
                return cluster;
            }
        }
        throw new AssertionError("no cluster " + name + " in the status");
    }

    String decision(String cluster) {
        JsonNode decision = cluster(cluster).get("decision");
        return decision == null || decision.isNull() ? "NONE" : decision.get("code").asString();
    }

    JsonNode member(String cluster, String region) {
        for (JsonNode member : cluster(cluster).get("members")) {
            if (member.get("region").asString().equals(region)) {
                return member;
            }
        }
        throw new AssertionError("no member " + region + " in cluster " + cluster);
    }

    String role(String cluster, String region) {
        ApiClient.Response response = http.get("/api/v1/failover/clusters/" + cluster, TestTokens.viewer());
        for (JsonNode member : response.json().get("cluster").get("members")) {
            if (member.get("region").asString().equals(region)) {
                return member.get("role").asString();
            }
        }
        throw new AssertionError("no member " + region);
    }

    /** Waits until this instance's probes and {@code observer}'s observations see every member of {@code cluster} up. */
    void awaitHealthy(String cluster, String observer) {
        await().atMost(PATIENCE).untilAsserted(() -> {
            for (JsonNode member : cluster(cluster).get("members")) {
                JsonNode probe = member.get("probe");
                assertThat(probe == null || probe.isNull() ? "none" : probe.get("health").asString()).as("probe of %s", member.get("region"))
                        .isEqualTo("UP");
                List<String> healthy = new ArrayList<>();
                for (JsonNode view : member.get("observers")) {
                    if (view.get("fresh").asBoolean() && view.get("verdict").asString().equals("HEALTHY")) {
                        healthy.add(view.get("observer").asString());
                    }
                }
                assertThat(healthy).as("healthy observers of %s", member.get("region")).contains("failover-service@test-a", observer);
            }
            assertThat(decision(cluster)).isEqualTo("HEALTHY");
        });
    }

    List<JsonNode> operations(String cluster) {
        ApiClient.Response response = http.get("/api/v1/failover/events?cluster=" + cluster, TestTokens.viewer());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        List<JsonNode> ops = new ArrayList<>();
        response.json().forEach(ops::add);
        return ops;
    }

    JsonNode operation(String id) {
        ApiClient.Response response = http.get("/api/v1/failover/events/" + id, TestTokens.viewer());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    /** Waits for the newest operation on {@code cluster} to reach one of {@code states}. */
    JsonNode awaitOperation(String cluster, String... states) {
        AtomicReference<JsonNode> found = new AtomicReference<>();
        await().atMost(PATIENCE).untilAsserted(() -> {
            List<JsonNode> ops = operations(cluster);
            assertThat(ops).as("operations on %s", cluster).isNotEmpty();
            assertThat(ops.get(0).get("state").asString()).as(ops.get(0).toString()).isIn((Object[]) states);
            found.set(ops.get(0));
        });
        return found.get();
    }

    JsonNode awaitOperationById(String id, String... states) {
        AtomicReference<JsonNode> found = new AtomicReference<>();
        await().atMost(PATIENCE).untilAsserted(() -> {
            JsonNode op = operation(id);
            assertThat(op.get("state").asString()).as(op.toString()).isIn((Object[]) states);
            found.set(op);
        });
        return found.get();
    }

    JsonNode drill(String region, String action) {
        ApiClient.Response response = http.send("POST", "/api/v1/failover/drills", TestTokens.admin(),
                "{\"region\":\"" + region + "\",\"action\":\"" + action + "\",\"reason\":\"test drill\"}");
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        return response.json();
    }

    /** The steps published on Kafka for operation {@code id}, in order. */
    static List<FailoverEvent> published(String id) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfrastructure.get().kafka().bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<FailoverEvent> steps = new ArrayList<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(config, new StringDeserializer(), Tombstones.deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.FAILOVER_EVENTS).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    if (id.equals(record.key()) && record.value() != null) {
                        steps.add(MeridianEvents.data(record.value(), FailoverEvent.class));
                    }
                }
            }
        }
        return steps;
    }

    static Set<String> stepNames(JsonNode op) {
        Set<String> names = new java.util.LinkedHashSet<>();
        op.get("steps").forEach(step -> names.add(step.get("state").asString()));
        return names;
    }
}
