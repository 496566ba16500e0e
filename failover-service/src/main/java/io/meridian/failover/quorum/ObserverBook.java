package io.meridian.failover.quorum;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

import io.meridian.common.region.RegionId;
import io.meridian.failover.config.FailoverProperties;

/**
 * Every observer's streak per region: this instance's own probes and every other observer's
 * {@code HealthObservation}s from Kafka, each reduced to consecutive failures and how long it has been
 * unhealthy. Freshness is judged by when an observation arrived here (no trust in remote clocks); order within
 * one observer by when it was made (a late, older observation changes nothing).
 */
@Component
public class ObserverBook {

    /** How an observation classifies the region. */
    public enum Health {
        UP, DEGRADED, DOWN;

        /** Reads the health from a {@code HealthObservation}: unhealthy ones whose detail starts with "degraded" are degraded. */
        public static Health of(boolean healthy, @Nullable String detail) {
            if (healthy) {
                return UP;
            }
            return detail != null && detail.startsWith("degraded") ? DEGRADED : DOWN;
        }
    }

    private static final class Streak {
        Health health = Health.UP;
        int consecutiveDown;
        @Nullable Instant unhealthySince;
        Instant newestAt = Instant.EPOCH;
        Instant receivedAt = Instant.EPOCH;
        String detail = "";
    }

    private final Map<RegionId, Map<String, Streak>> streaks = new ConcurrentHashMap<>();
    private final FailoverProperties.Probe thresholds;
    private final Duration maxAge;
    private final Clock clock;

    @org.springframework.beans.factory.annotation.Autowired
    public ObserverBook(FailoverProperties properties) {
        this(properties.probe(), properties.quorum().maxAge(), Clock.systemUTC());
    }

    ObserverBook(FailoverProperties.Probe thresholds, Duration maxAge, Clock clock) {
        this.thresholds = thresholds;
        this.maxAge = maxAge;
        this.clock = clock;
    }

    /** Records an observation of {@code region} by {@code observer}; an observation older than the newest one of that observer is ignored. */
    public void record(RegionId region, String observer, Health health, Instant observedAt, String detail) {
        Streak streak = streaks.computeIfAbsent(region, r -> new ConcurrentHashMap<>()).computeIfAbsent(observer, o -> new Streak());
        synchronized (streak) {
            if (observedAt.isBefore(streak.newestAt)) {
                return;
            }
            streak.newestAt = observedAt;
            streak.receivedAt = clock.instant();
            streak.detail = detail;
            streak.health = health;
            if (health == Health.UP) {
                streak.consecutiveDown = 0;
                streak.unhealthySince = null;
            } else {
                if (streak.unhealthySince == null) {
                    streak.unhealthySince = observedAt;
                }
                streak.consecutiveDown = health == Health.DOWN ? streak.consecutiveDown + 1 : 0;
            }
        }
    }

    /** Every observer's current view of {@code region}. */
    public List<ObserverView> views(RegionId region) {
        Map<String, Streak> byObserver = streaks.getOrDefault(region, Map.of());
        Instant now = clock.instant();
        List<ObserverView> views = new ArrayList<>();
        byObserver.forEach((observer, streak) -> {
            synchronized (streak) {
                boolean fresh = Duration.between(streak.receivedAt, now).compareTo(maxAge) <= 0;
                views.add(new ObserverView(observer, verdict(streak, now), fresh, streak.consecutiveDown, streak.unhealthySince,
                        streak.newestAt, streak.detail));
            }
        });
        views.sort(java.util.Comparator.comparing(ObserverView::observer));
        return views;
    }

    /** Forgets everything about {@code region} (a cluster stopped being watched). */
    public void forget(RegionId region) {
        streaks.remove(region);
    }

    private Verdict verdict(Streak streak, Instant now) {
        if (streak.health == Health.UP) {
            return Verdict.HEALTHY;
        }
        if (streak.consecutiveDown >= thresholds.failureThreshold()) {
            return Verdict.FAILED;
        }
        if (streak.unhealthySince != null && Duration.between(streak.unhealthySince, now).compareTo(thresholds.degradedAfter()) >= 0) {
            return Verdict.FAILED;
        }
        return Verdict.SUSPECT;
    }
}
