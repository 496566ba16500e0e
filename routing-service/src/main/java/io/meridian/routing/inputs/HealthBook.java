package io.meridian.routing.inputs;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import io.meridian.common.failover.FailoverEvent;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.routing.config.RoutingProperties;

/**
 * Health of each region as routing weighs it: a score from the observations on
 * {@code meridian.health-observations} (an exponentially weighted moving average of healthy = 1 and
 * unhealthy = 0, newest weighted {@code alpha}; 1 until anything is observed; kept to two decimals so
 * that only a real change republishes tables), and whether a failover fenced it
 * ({@code meridian.failover-events}: the newest step per region by hybrid logical time decides).
 * Observations older than the newest applied for the region are ignored, so redelivery and
 * reordering change nothing.
 */
@Component
public class HealthBook {

    private record Score(double value, Instant newest) {
    }

    private record Fence(boolean out, HlcTimestamp at, String operationId) {
    }

    private final double alpha;
    private final Map<RegionId, Score> scores = new ConcurrentHashMap<>();
    private final Map<RegionId, Fence> fences = new ConcurrentHashMap<>();

    public HealthBook(RoutingProperties properties) {
        double configured = properties.health().alpha();
        if (!(configured > 0 && configured <= 1)) {
            throw new IllegalArgumentException("meridian.routing.health.alpha must be in (0, 1], was " + configured);
        }
        this.alpha = configured;
    }

    /** Applies an observation; whether the region's (rounded) score changed. */
    public synchronized boolean observe(HealthObservation observation) {
        Score current = scores.get(observation.region());
        if (current != null && observation.observedAt().isBefore(current.newest())) {
            return false;
        }
        double previous = current == null ? 1.0 : current.value();
        double next = alpha * (observation.healthy() ? 1.0 : 0.0) + (1 - alpha) * previous;
        scores.put(observation.region(), new Score(next, observation.observedAt()));
        return round(previous) != round(next);
    }

    /** Applies a failover step stamped {@code at}; whether the region's fencing changed. */
    public synchronized boolean failover(FailoverEvent event, HlcTimestamp at) {
        if (!event.changesTraffic()) {
            return false;
        }
        Fence current = fences.get(event.region());
        if (current != null && at.compareTo(current.at()) <= 0) {
            return false;
        }
        fences.put(event.region(), new Fence(event.regionOutOfTraffic(), at, event.operationId()));
        return current == null ? event.regionOutOfTraffic() : current.out() != event.regionOutOfTraffic();
    }

    /** The region's score, 0 to 1, two decimals. */
    public double score(RegionId region) {
        Score score = scores.get(region);
        return score == null ? 1.0 : round(score.value());
    }

    /** Whether a failover took the region out of traffic. */
    public boolean fenced(RegionId region) {
        Fence fence = fences.get(region);
        return fence != null && fence.out();
    }

    private static double round(double score) {
        return Math.round(score * 100) / 100.0;
    }
}
