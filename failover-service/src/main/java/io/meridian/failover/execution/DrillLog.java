package io.meridian.failover.execution;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import io.meridian.common.region.RegionId;
import tools.jackson.databind.ObjectMapper;

/** Drills in the failover schema, so that a failover a drill caused measures from the moment of injection. */
@Component
public class DrillLog {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    DrillLog(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void insert(Drill drill) {
        jdbc.sql("INSERT INTO drills (id, cluster, region, action, target, injected_at, body) "
                        + "VALUES (:id, :cluster, :region, :action, :target, :at, CAST(:body AS jsonb))")
                .param("id", drill.id()).param("cluster", drill.cluster()).param("region", drill.region().value())
                .param("target", java.util.Objects.requireNonNull(drill.target()).name())
                .param("action", drill.action().name()).param("at", Timestamp.from(drill.injectedAt()))
                .param("body", json.writeValueAsString(drill)).update();
    }

    /** The newest fault drill (kill or freeze) on {@code region}'s database injected after {@code since}. */
    Optional<Drill> latestFault(RegionId region, Instant since) {
        return jdbc.sql("SELECT body FROM drills WHERE region = :region AND target = 'DATABASE' AND action IN ('KILL', 'FREEZE') AND injected_at >= :since "
                        + "ORDER BY injected_at DESC LIMIT 1")
                .param("region", region.value()).param("since", Timestamp.from(since))
                .query((rs, row) -> json.readValue(rs.getString(1), Drill.class)).optional();
    }

    /** The newest drills first. */
    public List<Drill> recent(@Nullable RegionId region, int limit) {
        return jdbc.sql("SELECT body FROM drills WHERE (CAST(:region AS text) IS NULL OR region = :region) ORDER BY injected_at DESC LIMIT :limit")
                .param("region", region == null ? null : region.value()).param("limit", limit)
                .query((rs, row) -> json.readValue(rs.getString(1), Drill.class)).list();
    }
}
