package io.meridian.backup.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.databind.ObjectMapper;

/** The catalog tables ({@code backup}, {@code backup_copy}). */
@Repository
public class BackupRepository {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    public BackupRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Inserts a running backup; false if its policy's fire time was claimed already (by this or another instance). */
    public boolean insertRunning(UUID id, @Nullable UUID policyId, BackupKind kind, String region, String source, String zone,
            String trigger, @Nullable Instant scheduledFor, Verification verification) {
        return jdbc.sql("""
                INSERT INTO backup (id, policy_id, kind, region, source, zone, trigger_kind, scheduled_for, status, phase, verification,
                                    started_at, heartbeat_at)
                VALUES (:id, :policy, :kind, :region, :source, :zone, :trigger, :scheduledFor, 'RUNNING', 'QUEUED', :verification, now(), now())
                ON CONFLICT (policy_id, scheduled_for) DO NOTHING
                """)
                .param("id", id).param("policy", policyId).param("kind", kind.name()).param("region", region).param("source", source)
                .param("zone", zone).param("trigger", trigger).param("scheduledFor", ts(scheduledFor)).param("verification", verification.name())
                .update() == 1;
    }

    public Optional<Backup> find(UUID id) {
        return jdbc.sql("SELECT * FROM backup WHERE id = :id").param("id", id).query(this::map).optional()
                .map(b -> b.withCopies(copies(id)));
    }

    /** Newest first, filtered by whatever is given. */
    public List<Backup> list(@Nullable String region, @Nullable String source, @Nullable BackupStatus status, @Nullable BackupKind kind,
            int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM backup WHERE true");
        Map<String, Object> params = new LinkedHashMap<>();
        if (region != null) {
            sql.append(" AND region = :region");
            params.put("region", region);
        }
        if (source != null) {
            sql.append(" AND source = :source");
            params.put("source", source);
        }
        if (status != null) {
            sql.append(" AND status = :status");
            params.put("status", status.name());
        }
        if (kind != null) {
            sql.append(" AND kind = :kind");
            params.put("kind", kind.name());
        }
        sql.append(" ORDER BY started_at DESC, id LIMIT :limit");
        params.put("limit", limit);
        List<Backup> backups = jdbc.sql(sql.toString()).params(params).query(this::map).list();
        Map<UUID, List<Backup.Copy>> copies = new LinkedHashMap<>();
        if (!backups.isEmpty()) {
            jdbc.sql("SELECT * FROM backup_copy WHERE backup_id IN (:ids) ORDER BY region")
                    .param("ids", backups.stream().map(Backup::id).toList())
                    .query(rs -> {
                        copies.computeIfAbsent(rs.getObject("backup_id", UUID.class), k -> new ArrayList<>()).add(mapCopy(rs));
                    });
        }
        return backups.stream().map(b -> b.withCopies(copies.getOrDefault(b.id(), List.of()))).toList();
    }

    public List<Backup.Copy> copies(UUID id) {
        return jdbc.sql("SELECT * FROM backup_copy WHERE backup_id = :id ORDER BY region").param("id", id).query((rs, n) -> mapCopy(rs))
                .list();
    }

    public void phase(UUID id, String phase) {
        jdbc.sql("UPDATE backup SET phase = :phase, heartbeat_at = now() WHERE id = :id").param("id", id).param("phase", phase).update();
    }

    public void heartbeat(UUID id) {
        jdbc.sql("UPDATE backup SET heartbeat_at = now() WHERE id = :id").param("id", id).update();
    }

    /** Records the written object and its manifest. */
    public void written(UUID id, long size, String sha256, int parts, String objectKey, String manifestKey, String manifestSha256,
            @Nullable String lsn, @Nullable Instant sourceTime) {
        jdbc.sql("""
                UPDATE backup SET size_bytes = :size, sha256 = :sha, part_count = :parts, object_key = :objectKey, manifest_key = :manifestKey,
                       manifest_sha256 = :manifestSha, source_lsn = :lsn, source_time = :sourceTime, heartbeat_at = now()
                WHERE id = :id
                """)
                .param("id", id).param("size", size).param("sha", sha256).param("parts", parts).param("objectKey", objectKey)
                .param("manifestKey", manifestKey).param("manifestSha", manifestSha256).param("lsn", lsn).param("sourceTime", ts(sourceTime))
                .update();
    }

    /** Moves to a final (or re-verified) status. */
    public void status(UUID id, BackupStatus status, @Nullable String phase, @Nullable String error) {
        jdbc.sql("""
                UPDATE backup SET status = :status, phase = :phase, error = :error, heartbeat_at = now(),
                       finished_at = CASE WHEN :status = 'RUNNING' THEN NULL ELSE coalesce(finished_at, now()) END
                WHERE id = :id
                """)
                .param("id", id).param("status", status.name()).param("phase", phase).param("error", error).update();
    }

    public void restoreTest(UUID id, Object result) {
        jdbc.sql("UPDATE backup SET restore_test = CAST(:result AS jsonb) WHERE id = :id").param("id", id)
                .param("result", json.writeValueAsString(result)).update();
    }

    public void copy(UUID backupId, String region, String bucket, String objectKey, String manifestKey, String status,
            @Nullable String detail, boolean verified) {
        jdbc.sql("""
                INSERT INTO backup_copy (backup_id, region, bucket, object_key, manifest_key, status, verified_at, detail)
                VALUES (:id, :region, :bucket, :objectKey, :manifestKey, :status, CASE WHEN :verified THEN now() END, :detail)
                ON CONFLICT (backup_id, region) DO UPDATE SET status = EXCLUDED.status, detail = EXCLUDED.detail,
                       verified_at = CASE WHEN :verified THEN now() ELSE backup_copy.verified_at END
                """)
                .param("id", backupId).param("region", region).param("bucket", bucket).param("objectKey", objectKey)
                .param("manifestKey", manifestKey).param("status", status).param("detail", detail).param("verified", verified).update();
    }

    /** Finished, not deleted backups of one source, newest first: what retention looks at. */
    public List<Backup> retained(String region, String source, BackupKind kind) {
        return jdbc.sql("""
                SELECT * FROM backup WHERE region = :region AND source = :source AND kind = :kind
                  AND status IN ('COMPLETED', 'VERIFIED', 'CORRUPT', 'FAILED')
                ORDER BY started_at DESC, id
                """)
                .param("region", region).param("source", source).param("kind", kind.name()).query(this::map).list()
                .stream().map(b -> b.withCopies(copies(b.id()))).toList();
    }

    /** Marks running backups whose instance stopped sending heartbeats as failed; returns their ids. */
    public List<UUID> failStale(Instant heartbeatBefore) {
        return jdbc.sql("""
                UPDATE backup SET status = 'FAILED', error = 'interrupted: the instance running it stopped (no heartbeat since '
                       || heartbeat_at || ')', finished_at = now()
                WHERE status = 'RUNNING' AND heartbeat_at < :before RETURNING id
                """).param("before", ts(heartbeatBefore)).query(UUID.class).list();
    }

    private Backup map(ResultSet rs, int row) throws SQLException {
        String restoreTest = rs.getString("restore_test");
        return new Backup(rs.getObject("id", UUID.class), rs.getObject("policy_id", UUID.class), BackupKind.valueOf(rs.getString("kind")),
                rs.getString("region"), rs.getString("source"), rs.getString("zone"), rs.getString("trigger_kind"),
                instant(rs.getTimestamp("scheduled_for")), BackupStatus.valueOf(rs.getString("status")), rs.getString("phase"),
                Verification.valueOf(rs.getString("verification")), rs.getTimestamp("started_at").toInstant(),
                instant(rs.getTimestamp("finished_at")), (Long) rs.getObject("size_bytes"), rs.getString("sha256"),
                (Integer) rs.getObject("part_count"), rs.getString("object_key"), rs.getString("manifest_key"),
                rs.getString("manifest_sha256"), rs.getString("source_lsn"), instant(rs.getTimestamp("source_time")),
                restoreTest == null ? null : json.readTree(restoreTest), rs.getString("error"), List.of());
    }

    private static Backup.Copy mapCopy(ResultSet rs) throws SQLException {
        return new Backup.Copy(rs.getString("region"), rs.getString("bucket"), rs.getString("object_key"), rs.getString("manifest_key"),
                rs.getString("status"), instant(rs.getTimestamp("verified_at")), rs.getString("detail"));
    }

    private static @Nullable Instant instant(@Nullable Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    private static @Nullable Timestamp ts(@Nullable Instant instant) {
        return instant == null ? null : Timestamp.from(instant);
    }
}
