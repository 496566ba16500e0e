package io.meridian.backup.restore;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.databind.ObjectMapper;

/** The {@code restore_op} table. */
@Repository
public class RestoreRepository {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    RestoreRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    void insert(UUID id, UUID backupId, String kind, String targetRegion, String target, String mode, String requestedBy) {
        jdbc.sql("""
                INSERT INTO restore_op (id, backup_id, kind, target_region, target, mode, status, phase, requested_by, started_at, heartbeat_at)
                VALUES (:id, :backup, :kind, :region, :target, :mode, 'RUNNING', 'QUEUED', :by, now(), now())
                """).param("id", id).param("backup", backupId).param("kind", kind).param("region", targetRegion).param("target", target)
                .param("mode", mode).param("by", requestedBy).update();
    }

    Optional<Restore> find(UUID id) {
        return jdbc.sql("SELECT * FROM restore_op WHERE id = :id").param("id", id).query(this::map).optional();
    }

    List<Restore> recent(int limit) {
        return jdbc.sql("SELECT * FROM restore_op ORDER BY started_at DESC LIMIT :limit").param("limit", limit).query(this::map).list();
    }

    void phase(UUID id, String phase, @Nullable String sourceRegion) {
        jdbc.sql("UPDATE restore_op SET phase = :phase, source_region = coalesce(:source, source_region), heartbeat_at = now() WHERE id = :id")
                .param("id", id).param("phase", phase).param("source", sourceRegion).update();
    }

    void progress(UUID id, long done, long total) {
        jdbc.sql("UPDATE restore_op SET bytes_done = :done, bytes_total = :total, heartbeat_at = now() WHERE id = :id").param("id", id)
                .param("done", done).param("total", total).update();
    }

    void finish(UUID id, String status, String phase, @Nullable Object result, @Nullable String error) {
        jdbc.sql("""
                UPDATE restore_op SET status = :status, phase = :phase, result = CAST(:result AS jsonb), error = :error, finished_at = now(),
                       heartbeat_at = now()
                WHERE id = :id
                """).param("id", id).param("status", status).param("phase", phase)
                .param("result", result == null ? null : json.writeValueAsString(result)).param("error", error).update();
    }

    /** Marks running restores whose instance stopped sending heartbeats as failed. */
    public List<UUID> failStale(Instant heartbeatBefore) {
        return jdbc.sql("""
                UPDATE restore_op SET status = 'FAILED', error = 'interrupted: the instance running it stopped', finished_at = now()
                WHERE status = 'RUNNING' AND heartbeat_at < :before RETURNING id
                """).param("before", Timestamp.from(heartbeatBefore)).query(UUID.class).list();
    }

    void heartbeat(UUID id) {
        jdbc.sql("UPDATE restore_op SET heartbeat_at = now() WHERE id = :id").param("id", id).update();
    }

    private Restore map(ResultSet rs, int row) throws SQLException {
        String result = rs.getString("result");
        Timestamp finished = rs.getTimestamp("finished_at");
        return new Restore(rs.getObject("id", UUID.class), rs.getObject("backup_id", UUID.class), rs.getString("kind"),
                rs.getString("target_region"), rs.getString("target"), rs.getString("mode"), rs.getString("source_region"),
                rs.getString("status"), rs.getString("phase"), rs.getLong("bytes_done"), rs.getLong("bytes_total"),
                rs.getString("requested_by"), rs.getTimestamp("started_at").toInstant(), finished == null ? null : finished.toInstant(),
                result == null ? null : json.readTree(result), rs.getString("error"));
    }
}
