package io.meridian.routing.inputs;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.stereotype.Component;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.Topics;
import io.meridian.routing.config.RoutingProperties;
import io.meridian.routing.engine.PolicySource;
import io.meridian.routing.table.RoutingTables;
import io.meridian.support.kafka.CompactedTopicReader;

/**
 * Brings the routing inputs up at start: reads the policies and measured latencies from the database,
 * notes the end offsets of {@code meridian.region-events}, rebuilds the region registry from that
 * compacted topic with {@link CompactedTopicReader}, starts the input listeners (the region listener
 * resuming at the noted offsets), and compiles and publishes every table. Runs in the background and
 * retries until Kafka and the database answer, so the service starts (and reports itself not ready)
 * when they are down. Afterwards it re-reads policies and latencies periodically, to pick up changes
 * made through another instance.
 */
@Component
class InputsBootstrap implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(InputsBootstrap.class);
    /** The first attempt runs while the application starts; it must not hold the start up for long. */
    private static final Duration FIRST_ATTEMPT = Duration.ofSeconds(10);

    private final KafkaProperties kafka;
    private final RegionDirectory directory;
    private final InputListeners listeners;
    private final KafkaListenerEndpointRegistry registry;
    private final PolicySource policies;
    private final MeasuredLatencies latencies;
    private final RoutingTables tables;
    private final ApplicationEventPublisher changes;
    private final RoutingProperties properties;
    private volatile boolean running;
    private volatile ScheduledExecutorService scheduler;

    InputsBootstrap(KafkaProperties kafka, RegionDirectory directory, InputListeners listeners, KafkaListenerEndpointRegistry registry,
            PolicySource policies, MeasuredLatencies latencies, RoutingTables tables, ApplicationEventPublisher changes,
            RoutingProperties properties) {
        this.kafka = kafka;
        this.directory = directory;
        this.listeners = listeners;
        this.registry = registry;
        this.policies = policies;
        this.latencies = latencies;
        this.tables = tables;
        this.changes = changes;
        this.properties = properties;
    }

    /**
     * Tries once in the caller (so that, normally, the application is ready when it has started),
     * then keeps retrying in the background.
     */
    @Override
    public void start() {
        running = true;
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("routing-inputs").daemon().factory());
        Duration first = properties.startupTimeout().compareTo(FIRST_ATTEMPT) < 0 ? properties.startupTimeout() : FIRST_ATTEMPT;
        bootstrap(first);
    }

    private void bootstrap() {
        bootstrap(properties.startupTimeout());
    }

    private synchronized void bootstrap(Duration timeout) {
        if (!running || tables.ready()) {
            return;
        }
        try {
            long began = System.nanoTime();
            policies.refresh();
            latencies.refresh();
            Map<String, Object> config = new HashMap<>(kafka.buildConsumerProperties());
            Map<TopicPartition, Long> start = endOffsets(config, timeout);
            Map<String, CloudEvent> snapshot = new CompactedTopicReader(config).read(Topics.REGION_EVENTS, timeout);
            directory.applyAll(snapshot);
            listeners.resumeRegionsFrom(start);
            for (String id : List.of(InputListeners.REGIONS, InputListeners.HEALTH, InputListeners.FAILOVER)) {
                registry.getListenerContainer(id).start();
            }
            tables.start();
            log.info("Routing inputs ready in {} ms: {} regions, {} policies", (System.nanoTime() - began) / 1_000_000,
                    directory.all().size(), policies.policies().size());
            long refresh = properties.policyRefresh().toMillis();
            scheduler.scheduleWithFixedDelay(this::refresh, refresh, refresh, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            log.warn("Routing inputs not ready yet ({}); retrying in 2 s", e.getMessage());
            scheduler.schedule((Runnable) this::bootstrap, 2, TimeUnit.SECONDS);
        }
    }

    private void refresh() {
        try {
            boolean changed = policies.refresh();
            changed |= latencies.refresh();
            if (changed) {
                changes.publishEvent(InputsChanged.now("policies or latencies changed in the database"));
            }
        } catch (RuntimeException e) {
            log.debug("Refreshing policies failed: {}", e.getMessage());
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Map<String, Object> config, Duration timeout) {
        Properties props = new Properties();
        props.putAll(config);
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.REGION_EVENTS, timeout).stream()
                    .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
            return consumer.endOffsets(partitions, timeout);
        }
    }

    @Override
    public void stop() {
        running = false;
        ScheduledExecutorService current = scheduler;
        if (current != null) {
            current.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        // after the listener container registry (which must exist to be started), before the web server takes traffic
        return Integer.MAX_VALUE - 2048;
    }
}
