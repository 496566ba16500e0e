package io.meridian.backup.policy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import io.meridian.backup.catalog.BackupKind;
import io.meridian.backup.catalog.Verification;

/**
 * A backup policy for one regional database (or namespace).
 *
 * @param id                   id
 * @param name                 unique name
 * @param kind                 LOGICAL, PHYSICAL or KUBERNETES
 * @param region               source region
 * @param source               database (or namespace)
 * @param cron                 Spring cron expression (six fields, seconds first), evaluated in UTC
 * @param retentionCount       keep at most this many backups
 * @param retentionMaxAge      delete backups older than this
 * @param copyTargets          other regions of the same residency zone to copy each backup to
 * @param verification         verification level
 * @param serverSideEncryption store objects with SSE (AES256)
 * @param enabled              whether the scheduler runs it
 * @param createdAt            creation time
 * @param lastScheduledAt      the last fire time the scheduler claimed (creation time at first)
 */
public record BackupPolicy(UUID id, String name, BackupKind kind, String region, String source, String cron, int retentionCount,
        Duration retentionMaxAge, List<String> copyTargets, Verification verification, boolean serverSideEncryption, boolean enabled,
        Instant createdAt, Instant lastScheduledAt) {
}
