package io.meridian.backup.topology;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.stereotype.Component;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.Topics;
import io.meridian.support.region.RegionDirectory;

/**
 * Keeps the {@link RegionDirectory} current from region-service's compacted {@code meridian.region-events}
 * topic. Every instance needs every region, so the listener joins a consumer group of its own and
 * reads the topic from its beginning on every assignment: the newest event per region rebuilds the
 * registry, and the directory's version gate drops what is read twice. Until the topic has been
 * read, {@link RegionTopology} answers from configuration alone.
 */
@Component
class RegionEventsListener implements ConsumerSeekAware {

    private static final Logger log = LoggerFactory.getLogger(RegionEventsListener.class);

    private final RegionDirectory directory;

    RegionEventsListener(RegionDirectory directory) {
        this.directory = directory;
    }

    @Override
    public void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        callback.seekToBeginning(List.copyOf(assignments.keySet()));
    }

    @KafkaListener(id = "backup-region-events", topics = Topics.REGION_EVENTS, containerFactory = "cloudEventListenerFactory",
            groupId = "backup-service-regions-${random.uuid}")
    void onRegionEvent(ConsumerRecord<String, CloudEvent> record) {
        if (record.key() != null && directory.apply(record.key(), record.value())) {
            log.info("Region {} {} from {}", record.key(), record.value() == null ? "removed" : "updated", Topics.REGION_EVENTS);
        }
    }
}
