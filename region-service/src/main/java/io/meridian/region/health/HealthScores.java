package io.meridian.region.health;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.region.RegionId;

/**
 * Keeps a health score per region from the observations on {@value Topics#HEALTH_OBSERVATIONS}: an
 * exponentially weighted moving average of healthy (1) and unhealthy (0) observations, so one bad
 * probe dents the score and a run of them sinks it. Observations older than the newest one already
 * applied are ignored, so redelivery and reordering change nothing.
 */
@Service
public class HealthScores {

    /** Weight of the newest observation. */
    static final double ALPHA = 0.3;

    private static final Logger log = LoggerFactory.getLogger(HealthScores.class);

    /**
     * A region's health.
     *
     * @param region       the region
     * @param score        0 (every recent observation unhealthy) to 1 (all healthy)
     * @param observations how many observations were applied
     * @param lastHealthy  the newest observation's verdict
     * @param lastObserver who made it
     * @param lastDetail   what it saw
     * @param observedAt   when
     */
    public record Health(RegionId region, double score, long observations, boolean lastHealthy, String lastObserver,
            @Nullable String lastDetail, Instant observedAt) {
    }

    private final JdbcClient jdbc;

    HealthScores(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    @KafkaListener(topics = Topics.HEALTH_OBSERVATIONS, containerFactory = "cloudEventListenerFactory")
    void onEvent(@Nullable CloudEvent event) {
        if (event == null || !EventTypes.HEALTH_OBSERVED.equals(event.getType())) {
            return;
        }
        try {
            apply(MeridianEvents.data(event, HealthObservation.class));
        } catch (RuntimeException e) {
            // A malformed observation must not block the partition; it is logged and skipped.
            log.warn("Skipping unreadable health observation {}: {}", event.getId(), e.getMessage());
        }
    }

    /** Applies one observation; false if it is older than what was applied already. */
    @Transactional
    public boolean apply(HealthObservation observation) {
        double sample = observation.healthy() ? 1.0 : 0.0;
        int changed = jdbc.sql("""
                INSERT INTO region_health (region, score, observations, last_healthy, last_observer, last_detail, observed_at)
                VALUES (:region, :sample, 1, :healthy, :observer, :detail, :at)
                ON CONFLICT (region) DO UPDATE SET
                    score = :alpha * :sample + (1 - :alpha) * region_health.score,
                    observations = region_health.observations + 1,
                    last_healthy = :healthy, last_observer = :observer, last_detail = :detail, observed_at = :at
                WHERE region_health.observed_at < :at
                """)
                .param("region", observation.region().value())
                .param("sample", sample)
                .param("alpha", ALPHA)
                .param("healthy", observation.healthy())
                .param("observer", observation.observer())
                .param("detail", observation.detail())
                .param("at", Timestamp.from(observation.observedAt()))
                .update();
        return changed == 1;
    }

    public Optional<Health> of(RegionId region) {
        return jdbc.sql("SELECT * FROM region_health WHERE region = :region").param("region", region.value())
                .query((rs, row) -> map(rs)).optional();
    }

    public List<Health> all() {
        return jdbc.sql("SELECT * FROM region_health ORDER BY region").query((rs, row) -> map(rs)).list();
    }

    private static Health map(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Health(RegionId.of(rs.getString("region")), rs.getDouble("score"), rs.getLong("observations"),
                rs.getBoolean("last_healthy"), rs.getString("last_observer"), rs.getString("last_detail"),
                rs.getTimestamp("observed_at").toInstant());
    }
}
