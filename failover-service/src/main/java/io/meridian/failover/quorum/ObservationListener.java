package io.meridian.failover.quorum;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.HealthObservation;
import io.meridian.failover.config.FailoverProperties;

/**
 * Feeds the other observers' health observations (other failover-service instances, gateways) into the
 * {@link ObserverBook}. Every instance needs all of them, so each reads in a consumer group of its own, from
 * now on (old observations are stale by definition). Its own observations come back too and are skipped: they
 * were recorded when made.
 */
@Component
class ObservationListener {

    private static final Logger log = LoggerFactory.getLogger(ObservationListener.class);

    private final ObserverBook book;
    private final String self;
    private final FailoverProperties.Quorum quorum;

    ObservationListener(ObserverBook book, FailoverProperties properties) {
        this.book = book;
        this.self = properties.observer();
        this.quorum = properties.quorum();
    }

    @KafkaListener(id = "failover-health-observations", topics = Topics.HEALTH_OBSERVATIONS, containerFactory = "cloudEventListenerFactory",
            groupId = "failover-service-${random.uuid}", properties = {"auto.offset.reset=latest", "fetch.max.wait.ms=100"})
    void onObservation(ConsumerRecord<String, CloudEvent> record) {
        CloudEvent event = record.value();
        if (event == null || !EventTypes.HEALTH_OBSERVED.equals(event.getType())) {
            return;
        }
        try {
            HealthObservation observation = MeridianEvents.data(event, HealthObservation.class);
            if (observation.observer().equals(self) || !quorum.accepts(observation.observer())) {
                return;
            }
            book.record(observation.region(), observation.observer(), ObserverBook.Health.of(observation.healthy(), observation.detail()),
                    observation.observedAt(), observation.detail() == null ? "" : observation.detail());
        } catch (RuntimeException e) {
            log.warn("Ignoring unreadable health observation {}: {}", event.getId(), e.getMessage());
        }
    }
}
