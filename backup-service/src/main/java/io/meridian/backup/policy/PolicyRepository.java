package io.meridian.backup.policy;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.meridian.backup.catalog.BackupKind;
import io.meridian.backup.catalog.Verification;

/** The {@code backup_policy} table. */
@Repository
class PolicyRepository {

    private final JdbcClient jdbc;

    PolicyRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    boolean insert(BackupPolicy p) {
        return jdbc.sql("""
                INSERT INTO backup_policy (id, name, kind, region, source, cron, retention_count, retention_max_age_s, copy_targets,
                                           verification, server_side_encryption, enabled, created_at, last_scheduled_at)
                VALUES (:id, :name, :kind, :region, :source, :cron, :count, :age, :targets, :verification, :sse, :enabled, :created, :last)
                ON CONFLICT (name) DO NOTHING
                """)
                .param("id", p.id()).param("name", p.name()).param("kind", p.kind().name()).param("region", p.region())
                .param("source", p.source()).param("cron", p.cron()).param("count", p.retentionCount())
                .param("age", p.retentionMaxAge().toSeconds()).param("targets", String.join(",", p.copyTargets()))
                .param("verification", p.verification().name()).param("sse", p.serverSideEncryption()).param("enabled", p.enabled())
                .param("created", Timestamp.from(p.createdAt())).param("last", Timestamp.from(p.lastScheduledAt())).update() == 1;
    }

    Optional<BackupPolicy> find(UUID id) {
        return jdbc.sql("SELECT * FROM backup_policy WHERE id = :id").param("id", id).query(PolicyRepository::map).optional();
    }

    List<BackupPolicy> all() {
        return jdbc.sql("SELECT * FROM backup_policy ORDER BY name").query(PolicyRepository::map).list();
    }

    List<BackupPolicy> enabled() {
        return jdbc.sql("SELECT * FROM backup_policy WHERE enabled ORDER BY name").query(PolicyRepository::map).list();
    }

    /** Moves the policy's claimed fire time forward (never backward: a slower instance cannot rewind it). */
    boolean claim(UUID id, Instant previous, Instant fireTime) {
        return jdbc.sql("UPDATE backup_policy SET last_scheduled_at = :fire WHERE id = :id AND last_scheduled_at = :previous")
                .param("id", id).param("fire", Timestamp.from(fireTime)).param("previous", Timestamp.from(previous)).update() == 1;
    }

    boolean setEnabled(UUID id, boolean enabled) {
        return jdbc.sql("UPDATE backup_policy SET enabled = :enabled, last_scheduled_at = CASE WHEN :enabled AND NOT enabled THEN now() ELSE last_scheduled_at END WHERE id = :id")
                .param("id", id).param("enabled", enabled).update() == 1;
    }

    boolean delete(UUID id) {
        return jdbc.sql("DELETE FROM backup_policy WHERE id = :id").param("id", id).update() == 1;
    }

    private static BackupPolicy map(ResultSet rs, int row) throws SQLException {
        String targets = rs.getString("copy_targets");
        return new BackupPolicy(rs.getObject("id", UUID.class), rs.getString("name"), BackupKind.valueOf(rs.getString("kind")),
                rs.getString("region"), rs.getString("source"), rs.getString("cron"), rs.getInt("retention_count"),
                Duration.ofSeconds(rs.getLong("retention_max_age_s")),
                targets.isEmpty() ? List.of() : Arrays.asList(targets.split(",")), Verification.valueOf(rs.getString("verification")),
                rs.getBoolean("server_side_encryption"), rs.getBoolean("enabled"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("last_scheduled_at").toInstant());
    }
}
