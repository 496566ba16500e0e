package io.meridian.routing.bench;

import static io.meridian.routing.RoutingFixtures.region;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

import io.meridian.common.events.Topics;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.routing.RoutingFixtures;
import io.meridian.routing.RoutingIntegrationTest;
import io.meridian.testsupport.TestInfrastructure;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Benchmark, not a test (surefire does not pick it up by name): time from a health change being
 * published on {@code meridian.health-observations} to the changed routing table arriving at a
 * consumer of {@code meridian.routing-table}, over the real Kafka broker. 300 health flips, one at a
 * time. Run: {@code ./mvnw -B -q -pl routing-service -am test -Dtest=TablePublishLatencyBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false}; figures in {@code routing-service/target/table-publish-latency.txt}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class TablePublishLatencyBenchmark extends RoutingIntegrationTest {

    private static final int FLIPS = 300;

    @Autowired
    MeterRegistry meters;

    @Test
    void healthChangeToPublishedTable() throws Exception {
        RoutingFixtures support = fixtures();
        support.publishRegion(region("us-lat-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.91"), 1);
        support.publishRegion(region("us-lat-2", ResidencyZone.US, "US", 45.6, -121.2, RegionStatus.ACTIVE, "192.0.2.92"), 1);

        LinkedBlockingQueue<Long> arrivals = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().name("table-reader").start(() -> read(arrivals));
        try {
            assertThat(arrivals.poll(10, TimeUnit.SECONDS)).as("reader positioned at the end of the topic").isNotNull();
            support.createPolicy("""
                    {"service": "latency-bench", "regions": ["us-lat-1", "us-lat-2"], "rules": [{"type": "HEALTH"}]}""");
            assertThat(arrivals.poll(10, TimeUnit.SECONDS)).as("first table").isNotNull();
            arrivals.clear();
            long[] samples = new long[FLIPS];
            for (int i = 0; i < FLIPS; i++) {
                long start = System.nanoTime();
                support.observe(RegionId.of("us-lat-1"), i % 2 == 1);
                Long arrived = arrivals.poll(10, TimeUnit.SECONDS);
                assertThat(arrived).as("table %d published", i).isNotNull();
                samples[i] = arrived - start;
                arrivals.clear();
            }
            Arrays.sort(samples);
            Timer internal = meters.get("meridian.routing.table.publish").timer();
            String report = String.format(Locale.ROOT,
                    "health observation published -> routing table received, %d flips: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms%n"
                            + "inside routing-service (observation received -> table acknowledged): mean %.2f ms over %d publications%n",
                    FLIPS, ms(samples, 0.50), ms(samples, 0.90), ms(samples, 0.99), samples[FLIPS - 1] / 1e6,
                    internal.mean(TimeUnit.MILLISECONDS), internal.count());
            System.out.print(report);
            java.nio.file.Files.writeString(java.nio.file.Path.of("target/table-publish-latency.txt"), report);
        } finally {
            reader.interrupt();
            reader.join(5000);
        }
    }

    /** The topic exists once a service created it; on a fresh broker that may not have happened yet. */
    private static void ensureTopic(Properties config) {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(config)) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(Topics.ROUTING_TABLE)) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(Topics.ROUTING_TABLE, 3, (short) 1)
                        .configs(java.util.Map.of("cleanup.policy", "compact")))).all().get(30, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot make sure " + Topics.ROUTING_TABLE + " exists", e);
        }
    }

    private static double ms(long[] sorted, double quantile) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)] / 1e6;
    }

    private static void read(LinkedBlockingQueue<Long> arrivals) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestInfrastructure.get().kafka().bootstrapServers());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        ensureTopic(config);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(Topics.ROUTING_TABLE).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
            arrivals.add(System.nanoTime());
            while (!Thread.currentThread().isInterrupted()) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                    if ("latency-bench".equals(record.key())) {
                        arrivals.add(System.nanoTime());
                    }
                }
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            // stopped
        }
    }

}
