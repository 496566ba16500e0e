package io.meridian.backup.catalog;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
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

    /**
     * Inserts a running backup owned by {@code owner}; false if its policy's fire time was claimed
     * already (by this or another instance).
     */
    public boolean insertRunning(UUID id, @Nullable UUID policyId, BackupKind kind, String region, String source, String zone,
            String trigger, @Nullable Instant scheduledFor, Verification verification, String owner, List<String> copyTargets, boolean sse,
            int attempt, @Nullable UUID retryOf) {
        return jdbc.sql("""
                INSERT INTO backup (id, policy_id, kind, region, source, zone, trigger_kind, scheduled_for, status, phase, verification,
                                    started_at, heartbeat_at, owner, copy_targets, server_side_encryption, attempt, retry_of)
                VALUES (:id, :policy, :kind, :region, :source, :zone, :trigger, :scheduledFor, 'RUNNING', 'QUEUED', :verification, now(), now(),
                        :owner, :targets, :sse, :attempt, :retryOf)
                ON CONFLICT (policy_id, scheduled_for) DO NOTHING
                """)
                .param("id", id).param("policy", policyId).param("kind", kind.name()).param("region", region).param("source", source)
                .param("zone", zone).param("trigger", trigger).param("scheduledFor", ts(scheduledFor)).param("verification", verification.name())
                .param("owner", owner).param("targets", String.join(",", copyTargets)).param("sse", sse).param("attempt", attempt)
                .param("retryOf", retryOf).update() == 1;
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

    /** Moves a running backup to {@code phase}; false if {@code owner} no longer owns it (another instance recovered it). */
    public boolean phase(UUID id, String owner, String phase) {
        return jdbc.sql("UPDATE backup SET phase = :phase, heartbeat_at = now() WHERE id = :id AND owner = :owner AND status = 'RUNNING'")
                .param("id", id).param("owner", owner).param("phase", phase).update() == 1;
    }

    /** Renews a running backup's heartbeat; false if {@code owner} no longer owns it. */
    public boolean heartbeat(UUID id, String owner) {
        return jdbc.sql("UPDATE backup SET heartbeat_at = now() WHERE id = :id AND owner = :owner AND status = 'RUNNING'").param("id", id)
                .param("owner", owner).update() == 1;
    }

    /** Records the multipart upload a run writes to (before the first part), or clears it (null) once it completed. */
    public void upload(UUID id, String owner, @Nullable String region, @Nullable String key, @Nullable String uploadId) {
        jdbc.sql("""
                UPDATE backup SET upload_region = :region, upload_key = :key, upload_id = :upload, heartbeat_at = now()
                WHERE id = :id AND owner = :owner
                """).param("id", id).param("owner", owner).param("region", region).param("key", key).param("upload", uploadId).update();
    }

    /** Records the scratch database a restore test is about to create (null once it is dropped), so that recovery can drop it. */
    public void scratch(UUID id, @Nullable String database) {
        jdbc.sql("UPDATE backup SET scratch_database = :database WHERE id = :id").param("id", id).param("database", database).update();
    }

    /** Ends a run owned by {@code owner}: false (nothing written) if another instance took it over meanwhile. */
    public boolean finishRun(UUID id, String owner, BackupStatus status, String phase, @Nullable String error) {
        return jdbc.sql("""
                UPDATE backup SET status = :status, phase = :phase, error = :error, heartbeat_at = now(), finished_at = now(),
                       upload_id = NULL
                WHERE id = :id AND owner = :owner AND status = 'RUNNING'
                """).param("id", id).param("owner", owner).param("status", status.name()).param("phase", phase).param("error", error)
                .update() == 1;
    }

    /**
     * A running backup whose instance stopped, as recovery needs it.
     *
     * @param backup       the catalog entry
     * @param owner        who ran it (null for rows from before owners were recorded)
     * @param uploadRegion region of the multipart upload in flight, if any
     * @param uploadKey    its key
     * @param uploadId     its S3 upload id
     * @param copyTargets  the regions it was to copy to
     * @param sse          server-side encryption
     * @param attempt      1 for a first run, 2 for the fresh run started after an interruption, ...
     * @param scratchDatabase the restore test's scratch database on the source cluster, if one was being used
     */
    public record Interrupted(Backup backup, @Nullable String owner, @Nullable String uploadRegion, @Nullable String uploadKey,
            @Nullable String uploadId, List<String> copyTargets, boolean sse, int attempt, @Nullable String scratchDatabase) {
    }

    /** The SQL LIKE pattern of every owner ({@code <instance name>/<incarnation>}) of instance {@code ownerName}. */
    public static String ownersOf(String ownerName) {
        return ownerName.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "/%";
    }

    /**
     * Running backups whose owner stopped: no heartbeat for {@code staleAfter} (database time), or
     * owned by an earlier incarnation of this instance ({@code ownerName}, restarted: its runs died with it).
     */
    public List<Interrupted> interrupted(Duration staleAfter, String ownerName, String me) {
        return jdbc.sql("""
                SELECT * FROM backup WHERE status = 'RUNNING'
                  AND (heartbeat_at < now() - :stale * interval '1 millisecond'
                       OR (owner LIKE :name AND owner <> :me))
                ORDER BY started_at
                """).param("stale", staleAfter.toMillis()).param("name", ownersOf(ownerName)).param("me", me)
                .query((rs, n) -> new Interrupted(map(rs, n).withCopies(copies(rs.getObject("id", UUID.class))), rs.getString("owner"),
                        rs.getString("upload_region"), rs.getString("upload_key"), rs.getString("upload_id"),
                        split(rs.getString("copy_targets")), rs.getBoolean("server_side_encryption"), rs.getInt("attempt"),
                        rs.getString("scratch_database")))
                .list();
    }

    /** Takes a running backup over from {@code previous}: only one instance wins; the loser's writes are fenced from now on. */
    public boolean takeOver(UUID id, @Nullable String previous, String me) {
        return jdbc.sql("""
                UPDATE backup SET owner = :me, phase = 'RECOVERING', heartbeat_at = now()
                WHERE id = :id AND status = 'RUNNING' AND owner IS NOT DISTINCT FROM :previous
                """).param("id", id).param("me", me).param("previous", previous).update() == 1;
    }

    private static List<String> split(@Nullable String csv) {
        return csv == null || csv.isBlank() ? List.of() : List.of(csv.split(","));
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
                  AND status IN ('COMPLETED', 'VERIFIED', 'CORRUPT', 'FAILED', 'INTERRUPTED')
                ORDER BY started_at DESC, id
                """)
                .param("region", region).param("source", source).param("kind", kind.name()).query(this::map).list()
                .stream().map(b -> b.withCopies(copies(b.id()))).toList();
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
                restoreTest == null ? null : json.readTree(restoreTest), rs.getString("error"), rs.getInt("attempt"),
                rs.getObject("retry_of", UUID.class), List.of());
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
