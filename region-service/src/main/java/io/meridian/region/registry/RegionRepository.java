package io.meridian.region.registry;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import tools.jackson.databind.ObjectMapper;

/** Regions in the region schema of the control-plane database. */
@Repository
class RegionRepository {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    RegionRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    Optional<RegisteredRegion> find(RegionId id) {
        return jdbc.sql("SELECT body, version, created_at, updated_at FROM regions WHERE id = :id")
                .param("id", id.value())
                .query((rs, row) -> new RegisteredRegion(json.readValue(rs.getString("body"), Region.class), rs.getLong("version"),
                        rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant()))
                .optional();
    }

    List<RegisteredRegion> findAll() {
        return jdbc.sql("SELECT body, version, created_at, updated_at FROM regions ORDER BY id")
                .query((rs, row) -> new RegisteredRegion(json.readValue(rs.getString("body"), Region.class), rs.getLong("version"),
                        rs.getTimestamp("created_at").toInstant(), rs.getTimestamp("updated_at").toInstant()))
                .list();
    }

    /** Inserts a new region at version 1; false if the id is taken. */
    boolean insert(Region region, Instant now) {
        return jdbc.sql("""
                INSERT INTO regions (id, version, status, zone, body, created_at, updated_at)
                VALUES (:id, 1, :status, :zone, CAST(:body AS jsonb), :now, :now)
                ON CONFLICT (id) DO NOTHING
                """)
                .param("id", region.id().value())
                .param("status", region.status().name())
                .param("zone", region.zone().name())
                .param("body", json.writeValueAsString(region))
                .param("now", Timestamp.from(now))
                .update() == 1;
    }
}
