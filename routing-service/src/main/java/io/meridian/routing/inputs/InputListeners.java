package io.meridian.routing.inputs;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.failover.FailoverEvent;
import io.meridian.common.region.HealthObservation;

/**
 * Keeps the routing inputs current from Kafka. Every routing-service instance needs every record (each
 * decides for all clients), so each listener joins a consumer group of its own ({@code ${random.uuid}})
 * instead of sharing partitions. The containers start only after {@link InputsBootstrap} read the
 * region registry: the region listener then resumes exactly where that read began (so nothing falls in
 * between, and what is read twice is dropped by the version gate); failover steps are read from the
 * start of the topic's retention (the newest step per region wins); health observations only from now.
 */
@Component
class InputListeners implements ConsumerSeekAware {

    static final String REGIONS = "routing-region-events";
    static final String HEALTH = "routing-health-observations";
    static final String FAILOVER = "routing-failover-events";

    private static final Logger log = LoggerFactory.getLogger(InputListeners.class);

    private final RegionDirectory directory;
    private final HealthBook health;
    private final ApplicationEventPublisher changes;
    private final AtomicReference<Map<TopicPartition, Long>> regionStart = new AtomicReference<>(Map.of());

    InputListeners(RegionDirectory directory, HealthBook health, ApplicationEventPublisher changes) {
        this.directory = directory;
        this.health = health;
        this.changes = changes;
    }

    /** Where the region listener starts: the end offsets the start-up read began from. */
    void resumeRegionsFrom(Map<TopicPartition, Long> offsets) {
        regionStart.set(Map.copyOf(offsets));
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        Map<TopicPartition, Long> start = regionStart.get();
        for (TopicPartition partition : assignments.keySet()) {
            if (partition.topic().equals(Topics.REGION_EVENTS)) {
                Long offset = start.get(partition);
                if (offset != null) {
                    callback.seek(partition.topic(), partition.partition(), offset);
                } else {
                    callback.seekToBeginning(java.util.List.of(partition));
                }
            }
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        // nothing to release: state is rebuilt from the topics
    }

    @KafkaListener(id = REGIONS, topics = Topics.REGION_EVENTS, containerFactory = "cloudEventListenerFactory",
            groupId = "routing-service-regions-${random.uuid}", autoStartup = "false")
    void onRegionEvent(ConsumerRecord<String, CloudEvent> record) {
        long received = System.nanoTime();
        if (record.key() != null && directory.apply(record.key(), record.value())) {
            changes.publishEvent(new InputsChanged("region " + record.key(), received, false));
        }
    }

    @KafkaListener(id = HEALTH, topics = Topics.HEALTH_OBSERVATIONS, containerFactory = "cloudEventListenerFactory",
            groupId = "routing-service-health-${random.uuid}", autoStartup = "false", properties = "auto.offset.reset=latest")
    void onHealthObservation(ConsumerRecord<String, CloudEvent> record) {
        long received = System.nanoTime();
        CloudEvent event = record.value();
        if (event == null || !EventTypes.HEALTH_OBSERVED.equals(event.getType())) {
            return;
        }
        try {
            HealthObservation observation = MeridianEvents.data(event, HealthObservation.class);
            if (health.observe(observation)) {
                changes.publishEvent(new InputsChanged("health of " + observation.region(), received, false));
            }
        } catch (RuntimeException e) {
            log.warn("Ignoring unreadable health observation {}: {}", event.getId(), e.getMessage());
        }
    }

    @KafkaListener(id = FAILOVER, topics = Topics.FAILOVER_EVENTS, containerFactory = "cloudEventListenerFactory",
            groupId = "routing-service-failover-${random.uuid}", autoStartup = "false", properties = "auto.offset.reset=earliest")
    void onFailoverEvent(ConsumerRecord<String, CloudEvent> record) {
        long received = System.nanoTime();
        CloudEvent event = record.value();
        if (event == null || !EventTypes.FAILOVER_STEP.equals(event.getType())) {
            return;
        }
        try {
            FailoverEvent step = MeridianEvents.data(event, FailoverEvent.class);
            if (health.failover(step, MeridianEvents.hlc(event))) {
                changes.publishEvent(new InputsChanged("failover " + step.operationId() + " " + step.step() + " of " + step.region(),
                        received, false));
            }
        } catch (RuntimeException e) {
            log.warn("Ignoring unreadable failover event {}: {}", event.getId(), e.getMessage());
        }
    }
}
