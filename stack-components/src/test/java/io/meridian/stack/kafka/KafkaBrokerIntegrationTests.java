package io.meridian.stack.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.meridian.stack.Ports;
import io.meridian.stack.TestDirs;

/**
 * Starts and stops a real KRaft broker JVM the way the local stack and the service tests do.
 */
class KafkaBrokerIntegrationTests {

    private static final String TOPIC = "meridian.stack.test";

    private Path base;
    private @Nullable KafkaBroker broker;

    @BeforeEach
    void createBase() {
        base = TestDirs.create("meridian-kafka-test-");
    }

    @AfterEach
    void stopEverything() {
        try {
            if (broker != null) {
                broker.stop();
            }
        } finally {
            TestDirs.delete(base);
        }
    }

    @Test
    void producesConsumesAndKeepsRecordsAcrossARestart() throws Exception {
        int[] ports = Ports.freePorts(2);
        Path dataDir = base.resolve("kafka");
        KafkaBroker broker = KafkaBroker.create(dataDir, ports[0], ports[1]);
        this.broker = broker;
        assertThat(broker.isRunning()).isFalse();

        broker.start();
        long pid = broker.pid().orElseThrow();
        assertThat(KafkaBroker.runningPid(dataDir)).hasValue(pid);
        assertThat(dataDir.resolve(KafkaBroker.PID_FILE)).exists();
        assertThat(broker.bootstrapServers()).isEqualTo("127.0.0.1:" + ports[0]);
        assertThat(KafkaBroker.create(dataDir, ports[0], ports[1]).start().pid()).hasValue(pid);

        RecordMetadata written;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            written = producer.send(new ProducerRecord<>(TOPIC, "region", "eu-west-1")).get();
        }
        TopicPartition partition = new TopicPartition(TOPIC, written.partition());

        try (KafkaConsumer<String, String> consumer = consumer(broker, "stack-test")) {
            consumer.subscribe(List.of(TOPIC));
            ConsumerRecord<String, String> record = pollOne(consumer);
            assertThat(record.key()).isEqualTo("region");
            assertThat(record.value()).isEqualTo("eu-west-1");
            consumer.commitSync();
        }

        broker.stop();
        assertThat(broker.isRunning()).isFalse();
        assertThat(KafkaBroker.runningPid(dataDir)).isEmpty();
        assertThat(dataDir.resolve(KafkaBroker.PID_FILE)).doesNotExist();
        broker.stop();

        broker.start();
        assertThat(broker.pid()).isPresent().isNotEqualTo(OptionalLong.of(pid));
        try (KafkaConsumer<String, String> consumer = consumer(broker, null)) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            ConsumerRecord<String, String> record = pollOne(consumer);
            assertThat(record.value()).isEqualTo("eu-west-1");
            assertThat(record.offset()).isEqualTo(written.offset());
        }
        try (KafkaConsumer<String, String> consumer = consumer(broker, "stack-test")) {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.of(partition),
                    Duration.ofSeconds(20));
            assertThat(committed.get(partition)).isNotNull();
            assertThat(committed.get(partition).offset()).isEqualTo(written.offset() + 1);
        }
    }

    private static KafkaConsumer<String, String> consumer(KafkaBroker broker, @Nullable String groupId) {
        Map<String, Object> config = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class));
        if (groupId != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        }
        return new KafkaConsumer<>(config);
    }

    private static ConsumerRecord<String, String> pollOne(KafkaConsumer<String, String> consumer) {
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            return !received.isEmpty();
        });
        return received.get(0);
    }
}
