package io.meridian.failover;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventSerializer;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.testsupport.TestInfrastructure;

/**
 * A second, independent observer, as a gateway or another failover-service instance in another region would be:
 * it connects to each database itself every 100 ms ({@code SELECT 1}, 2 s timeout) and publishes what it sees
 * as {@code HealthObservation}s on Kafka.
 */
final class ExternalObserver implements AutoCloseable {

    final String name;
    private final Map<String, String> urls;
    private final KafkaProducer<String, CloudEvent> producer;
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private final HybridLogicalClock clock = HybridLogicalClock.system();

    ExternalObserver(String name, Map<String, String> urlsByRegion) {
        this.name = name;
        this.urls = new HashMap<>(urlsByRegion);
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfrastructure.get().kafka().bootstrapServers(),
                ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new CloudEventSerializer());
        ticks.scheduleAtFixedRate(this::round, 0, 100, TimeUnit.MILLISECONDS);
    }

    private void round() {
        urls.forEach((region, url) -> probes.submit(() -> observe(region, url)));
    }

    private void observe(String region, String url) {
        Instant at = Instant.now();
        long t0 = System.nanoTime();
        boolean healthy;
        String detail;
        try {
            CompletableFuture.supplyAsync(() -> check(url), probes).get(2000, TimeUnit.MILLISECONDS);
            healthy = true;
            detail = "SELECT 1 answered";
        } catch (java.util.concurrent.TimeoutException e) {
            healthy = false;
            detail = "down: no answer within 2000 ms";
        } catch (Exception e) {
            healthy = false;
            detail = "down: " + (e.getCause() == null ? e : e.getCause()).getMessage();
        }
        HealthObservation observation = new HealthObservation(RegionId.of(region), name, healthy, (System.nanoTime() - t0) / 1e6, at, detail);
        var stamp = clock.now();
        producer.send(new ProducerRecord<>(Topics.HEALTH_OBSERVATIONS, region, MeridianEvents.event(EventTypes.HEALTH_OBSERVED,
                URI.create("/test/" + name), region, stamp.packed(), stamp, observation)));
    }

    private static boolean check(String url) {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("connectTimeout", "1");
        props.setProperty("socketTimeout", "3");
        try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            return rs.next();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        ticks.shutdownNow();
        probes.shutdownNow();
        producer.close(java.time.Duration.ofSeconds(2));
    }
}
