package io.meridian.gateway.table;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.routing.RoutingTable;

/**
 * Follows the compacted {@value Topics#ROUTING_TABLE} topic on its own thread: every partition is
 * assigned (no consumer group, so every gateway sees every table) and read from the beginning, then
 * each poll's tables go to the {@link RoutingTableStore} in one batch. When Kafka is down the thread
 * keeps retrying while the gateway serves from the tables it has; nothing here ever blocks a request.
 */
public final class RoutingTableConsumer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RoutingTableConsumer.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration METADATA = Duration.ofSeconds(3);
    private static final CloudEvent UNREADABLE = io.cloudevents.core.builder.CloudEventBuilder.v1().withId("unreadable")
            .withType("meridian.gateway.unreadable-record.v1").withSource(java.net.URI.create("/meridian/gateway")).build();

    private final Map<String, Object> config;
    private final RoutingTableStore store;
    private final AtomicLong applied = new AtomicLong();
    private volatile boolean running;
    private static final Duration RECONNECT_BACKOFF = Duration.ofSeconds(1);
    private volatile @Nullable KafkaConsumer<String, CloudEvent> consumer;
    private volatile long lastContactMillis;
    private @Nullable Thread thread;

    /** @param consumerConfig Kafka client configuration (bootstrap servers, security); group settings are dropped */
    public RoutingTableConsumer(Map<String, Object> consumerConfig, RoutingTableStore store) {
        Map<String, Object> copy = new HashMap<>(consumerConfig);
        copy.remove(ConsumerConfig.GROUP_ID_CONFIG);
        copy.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        copy.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        copy.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        copy.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        copy.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2000);
        copy.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) METADATA.toMillis());
        copy.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) METADATA.toMillis());
        this.config = Map.copyOf(copy);
        this.store = store;
    }

    /** Tables applied from the topic since start. */
    public long applied() {
        return applied.get();
    }

    /** When a poll last succeeded (epoch millis), 0 if never. */
    public long lastContactMillis() {
        return lastContactMillis;
    }

    @Override
    public synchronized void start() {
        running = true;
        thread = Thread.ofPlatform().name("routing-table-consumer").daemon().start(this::run);
    }

    @Override
    public synchronized void stop() {
        running = false;
        KafkaConsumer<String, CloudEvent> current = consumer;
        if (current != null) {
            current.wakeup();
        }
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t); // out of a reconnect back-off at once
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void run() {
        while (running) {
            Properties properties = new Properties();
            properties.putAll(config);
            try (KafkaConsumer<String, CloudEvent> kafka = new KafkaConsumer<>(properties, new StringDeserializer(), tombstoneAware())) {
                consumer = kafka;
                follow(kafka);
            } catch (WakeupException e) {
                // stopping
            } catch (RuntimeException e) {
                log.warn("Routing-table consumer failed ({}); serving from the tables held and retrying", e.toString());
                pause();
            } finally {
                consumer = null;
            }
        }
    }

    private void follow(KafkaConsumer<String, CloudEvent> kafka) {
        List<TopicPartition> partitions = List.of();
        while (running && partitions.isEmpty()) {
            try {
                List<PartitionInfo> infos = kafka.partitionsFor(Topics.ROUTING_TABLE, METADATA);
                partitions = infos == null ? List.of() : infos.stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                log.debug("Kafka not reachable for {} metadata yet", Topics.ROUTING_TABLE);
            }
            if (partitions.isEmpty()) {
                pause();
            }
        }
        if (!running) {
            return;
        }
        kafka.assign(partitions);
        kafka.seekToBeginning(partitions);
        log.info("Following {} ({} partitions) from the beginning", Topics.ROUTING_TABLE, partitions.size());
        while (running) {
            var records = kafka.poll(POLL);
            lastContactMillis = System.currentTimeMillis();
            if (records.isEmpty()) {
                continue;
            }
            Map<String, RoutingTable> tables = new HashMap<>();
            List<String> removed = new ArrayList<>();
            for (ConsumerRecord<String, CloudEvent> record : records) {
                String service = record.key();
                if (service == null) {
                    continue;
                }
                if (record.value() == null) {
                    tables.remove(service);
                    removed.add(service);
                    continue;
                }
                CloudEvent event = record.value();
                if (!EventTypes.ROUTING_TABLE_COMPILED.equals(event.getType())) {
                    continue;
                }
                try {
                    RoutingTable table = MeridianEvents.data(event, RoutingTable.class);
                    removed.remove(service);
                    tables.merge(service, table, (a, b) -> b.version() > a.version() ? b : a);
                } catch (RuntimeException e) {
                    log.warn("Skipping unreadable routing table {} for {}: {}", event.getId(), service, e.getMessage());
                }
            }
            if (store.apply(tables.values(), removed)) {
                applied.addAndGet(tables.size());
                log.info("Routing tables updated: {}{}", tables.keySet(), removed.isEmpty() ? "" : " removed " + removed);
            }
        }
    }

    /** Back-off between reconnect attempts, on the consumer's own thread; {@link #stop()} cuts it short. */
    private void pause() {
        LockSupport.parkNanos(this, RECONNECT_BACKOFF.toNanos());
    }

    private static Deserializer<CloudEvent> tombstoneAware() {
        CloudEventDeserializer delegate = new CloudEventDeserializer();
        return new Deserializer<>() {
            @Override
            public CloudEvent deserialize(String topic, byte[] data) {
                throw new UnsupportedOperationException("CloudEvents need the record headers");
            }

            @Override
            public @Nullable CloudEvent deserialize(String topic, Headers headers, byte @Nullable [] data) {
                if (data == null) {
                    return null;
                }
                try {
                    return delegate.deserialize(topic, headers, data);
                } catch (RuntimeException e) {
                    // not a tombstone: a sentinel whose type matches nothing, so the record is skipped
                    log.warn("Skipping a record of {} that is not a CloudEvent: {}", topic, e.getMessage());
                    return UNREADABLE;
                }
            }
        };
    }
}
