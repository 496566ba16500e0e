package io.meridian.support.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import io.cloudevents.CloudEvent;

/**
 * Reads a compacted state topic from its beginning up to the end it has when the read starts, and
 * returns the newest event per key (a tombstone removes the key). This is how a consumer that starts
 * late rebuilds state from the topic alone, without a consumer group and without the producer's
 * database.
 */
public final class CompactedTopicReader {

    private final Map<String, Object> consumerConfig;

    /** @param bootstrapServers the Kafka bootstrap servers */
    public CompactedTopicReader(String bootstrapServers) {
        this(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** @param consumerConfig consumer configuration (bootstrap servers, security); group settings are ignored */
    public CompactedTopicReader(Map<String, Object> consumerConfig) {
        this.consumerConfig = Map.copyOf(consumerConfig);
    }

    /** The newest event per key of {@code topic}, in first-seen key order. */
    public Map<String, CloudEvent> read(String topic, Duration timeout) {
        Properties config = new Properties();
        config.putAll(consumerConfig);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, CloudEvent> state = new LinkedHashMap<>();
        try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(config, new StringDeserializer(), Tombstones.deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                    .map(info -> new TopicPartition(topic, info.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions, timeout));
            end.entrySet().removeIf(entry -> entry.getValue() == 0);
            while (!end.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + topic + " did not reach its end within " + timeout);
                }
                for (ConsumerRecord<String, CloudEvent> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        state.remove(record.key());
                    } else {
                        state.put(record.key(), record.value());
                    }
                }
                end.entrySet().removeIf(entry -> consumer.position(entry.getKey()) >= entry.getValue());
            }
        }
        return state;
    }
}
