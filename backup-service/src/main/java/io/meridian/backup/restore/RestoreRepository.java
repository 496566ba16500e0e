package io.meridian.backup.restore;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
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

    void insert(UUID id, UUID backupId, String kind, String targetRegion, String target, String mode, String requestedBy, String owner) {
        jdbc.sql("""
                INSERT INTO restore_op (id, backup_id, kind, target_region, target, mode, status, phase, requested_by, started_at, heartbeat_at,
                                        owner)
                VALUES (:id, :backup, :kind, :region, :target, :mode, 'RUNNING', 'QUEUED', :by, now(), now(), :owner)
                """).param("id", id).param("backup", backupId).param("kind", kind).param("region", targetRegion).param("target", target)
                .param("mode", mode).param("by", requestedBy).param("owner", owner).update();
    }

    public Optional<Restore> find(UUID id) {
        return jdbc.sql("SELECT * FROM restore_op WHERE id = :id").param("id", id).query(this::map).optional();
    }

    List<Restore> recent(int limit) {
        return jdbc.sql("SELECT * FROM restore_op ORDER BY started_at DESC LIMIT :limit").param("limit", limit).query(this::map).list();
    }

    /** Moves a running restore to {@code phase}; false if {@code owner} no longer owns it. */
    boolean phase(UUID id, String owner, String phase, @Nullable String sourceRegion) {
        return jdbc.sql("""
                UPDATE restore_op SET phase = :phase, source_region = coalesce(:source, source_region), heartbeat_at = now()
                WHERE id = :id AND owner = :owner AND status = 'RUNNING'
                """).param("id", id).param("owner", owner).param("phase", phase).param("source", sourceRegion).update() == 1;
    }

    void progress(UUID id, String owner, long done, long total) {
        jdbc.sql("UPDATE restore_op SET bytes_done = :done, bytes_total = :total, heartbeat_at = now() WHERE id = :id AND owner = :owner")
                .param("id", id).param("owner", owner).param("done", done).param("total", total).update();
    }

    /**
     * Records the temporary database or staging directory (and where a replaced target goes) before
     * it is created, so that recovery can remove it; false if {@code owner} no longer owns the restore.
     */
    boolean temporary(UUID id, String owner, String temporaryName, String retiredName) {
        return jdbc.sql("""
                UPDATE restore_op SET temporary_name = :temporary, retired_name = :retired, heartbeat_at = now()
                WHERE id = :id AND owner = :owner AND status = 'RUNNING'
                """).param("id", id).param("owner", owner).param("temporary", temporaryName).param("retired", retiredName).update() == 1;
    }

    /** Ends a restore owned by {@code owner}; false (nothing written) if another instance took it over. */
    public boolean finish(UUID id, String owner, String status, String phase, @Nullable Object result, @Nullable String error) {
        return jdbc.sql("""
                UPDATE restore_op SET status = :status, phase = :phase, result = CAST(:result AS jsonb), error = :error, finished_at = now(),
                       heartbeat_at = now()
                WHERE id = :id AND owner = :owner AND status = 'RUNNING'
                """).param("id", id).param("owner", owner).param("status", status).param("phase", phase)
                .param("result", result == null ? null : json.writeValueAsString(result)).param("error", error).update() == 1;
    }

    /** Renews a running restore's heartbeat; false if {@code owner} no longer owns it. */
    boolean heartbeat(UUID id, String owner) {
        return jdbc.sql("UPDATE restore_op SET heartbeat_at = now() WHERE id = :id AND owner = :owner AND status = 'RUNNING'")
                .param("id", id).param("owner", owner).update() == 1;
    }

    /**
     * A running restore whose instance stopped.
     *
     * @param restore       the restore
     * @param owner         who ran it (null for rows from before owners were recorded)
     * @param temporaryName the temporary database or staging directory it created (or was about to)
     * @param retiredName   where a replaced target was to be moved aside
     */
    public record Interrupted(Restore restore, @Nullable String owner, @Nullable String temporaryName, @Nullable String retiredName) {
    }

    /** Running restores whose owner stopped (see {@link io.meridian.backup.catalog.BackupRepository#interrupted}). */
    public List<Interrupted> interrupted(Duration staleAfter, String ownerName, String me) {
        return jdbc.sql("""
                SELECT * FROM restore_op WHERE status = 'RUNNING'
                  AND (heartbeat_at < now() - :stale * interval '1 millisecond'
                       OR (owner LIKE :name AND owner <> :me))
                ORDER BY started_at
                """).param("stale", staleAfter.toMillis()).param("name", io.meridian.backup.catalog.BackupRepository.ownersOf(ownerName)).param("me", me)
                .query((rs, n) -> new Interrupted(map(rs, n), rs.getString("owner"), rs.getString("temporary_name"), rs.getString("retired_name")))
                .list();
    }

    /** Takes a running restore over from {@code previous}; only one instance wins. */
    public boolean takeOver(UUID id, @Nullable String previous, String me) {
        return jdbc.sql("""
                UPDATE restore_op SET owner = :me, heartbeat_at = now()
                WHERE id = :id AND status = 'RUNNING' AND owner IS NOT DISTINCT FROM :previous
                """).param("id", id).param("me", me).param("previous", previous).update() == 1;
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
