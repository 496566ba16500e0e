package io.meridian.failover.execution;

import java.net.URI;
import java.time.Clock;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.failover.FailoverEvent;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.support.kafka.EventPublisher;

/**
 * Publishes the steps routing-service and the gateway act on ({@link FailoverEvent} on
 * {@value Topics#FAILOVER_EVENTS}, keyed by operation id), waiting a bounded time for Kafka's acknowledgement.
 * A step publishes before it is persisted as done, so a step repeated after a takeover publishes again (at least
 * once; consumers order a region's steps by the event's hybrid logical time).
 */
@Component
public class FailoverEvents {

    private static final Logger log = LoggerFactory.getLogger(FailoverEvents.class);
    private static final URI SOURCE = URI.create("/meridian/failover-service");

    private final EventPublisher events;
    private final HybridLogicalClock hlc;
    private final FailoverProperties properties;
    private final Clock clock = Clock.systemUTC();

    FailoverEvents(EventPublisher events, HybridLogicalClock hlc, FailoverProperties properties) {
        this.events = events;
        this.hlc = hlc;
        this.properties = properties;
    }

    /**
     * Publishes one step; whether Kafka acknowledged it within {@code execution.event-ack-timeout}. Steps that change
     * traffic (fenced, promoted, halted, rolled back, rejoined) wait for the acknowledgement; the others
     * (detected, completed) do not hold the operation up.
     */
    public boolean publish(Operation op, FailoverEvent.Step step, RegionId region, @Nullable RegionId promoted, String reason) {
        HlcTimestamp stamp = hlc.now();
        String text = reason.length() > 1000 ? reason.substring(0, 1000) : reason;
        FailoverEvent event = new FailoverEvent(op.id(), step, region, promoted, clock.instant(), text);
        try {
            var sent = events.publish(Topics.FAILOVER_EVENTS, MeridianEvents.event(EventTypes.FAILOVER_STEP, SOURCE, op.id(), stamp.packed(),
                    stamp, event));
            if (step == FailoverEvent.Step.DETECTED || step == FailoverEvent.Step.COMPLETED) {
                return true;
            }
            sent.get(properties.execution().eventAckTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            log.warn("Failover event {} of {} not acknowledged: {}", step, op.id(), e.toString());
            return false;
        }
    }
}
