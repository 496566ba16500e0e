package io.meridian.support.kafka;

import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.SendResult;

import io.cloudevents.CloudEvent;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Publishes CloudEvents to Kafka in binary mode (attributes as {@code ce_*} headers, JSON data as the
 * value), keyed by the event's subject so that compacted topics keep the newest state per entity.
 */
public class EventPublisher {

    private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);

    private final KafkaTemplate<String, CloudEvent> template;
    private final MeterRegistry meters;

    public EventPublisher(KafkaTemplate<String, CloudEvent> template, MeterRegistry meters) {
        this.template = template;
        this.meters = meters;
    }

    /** Sends {@code event} to {@code topic}; the future completes when the broker acknowledged it. */
    public CompletableFuture<SendResult<String, CloudEvent>> publish(String topic, CloudEvent event) {
        String key = event.getSubject() == null ? event.getId() : event.getSubject();
        return template.send(topic, key, event).whenComplete((result, failure) -> {
            meters.counter("meridian.events.published", "topic", topic, "outcome", failure == null ? "ok" : "error").increment();
            if (failure != null) {
                log.warn("Could not publish {} {} for {} to {}: {}", event.getType(), event.getId(), key, topic, failure.getMessage());
            }
        });
    }

    /** Publishes a tombstone (null value) for {@code key}, removing it from a compacted topic. */
    public CompletableFuture<SendResult<String, CloudEvent>> tombstone(String topic, String key) {
        return template.send(topic, key, null);
    }
}
