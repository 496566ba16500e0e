package io.meridian.backup.catalog;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * A catalog entry: one backup with its copies.
 *
 * @param id             the backup id
 * @param policyId       the policy that made it, if any
 * @param kind           logical, physical or Kubernetes
 * @param region         source region
 * @param source         source database or namespace
 * @param zone           residency zone of the data
 * @param trigger        SCHEDULED or ON_DEMAND
 * @param scheduledFor   the policy fire time it was made for (scheduled runs)
 * @param status         status
 * @param phase          what it is doing (while running) or did last
 * @param verification   verification level asked for
 * @param startedAt      start
 * @param finishedAt     end, if finished
 * @param sizeBytes      object size
 * @param sha256         object checksum: {@code <hex>-<parts>} composite (manifest format 2) or whole-object SHA-256 (format 1)
 * @param partCount      parts
 * @param objectKey      key of the data object in every bucket holding a copy
 * @param manifestKey    key of the manifest beside it
 * @param manifestSha256 SHA-256 of the manifest as written (a swapped manifest does not match it)
 * @param sourceLsn      WAL position the backup is consistent with
 * @param sourceTime     source time of that snapshot
 * @param restoreTest    the last restore test's result
 * @param error          why it failed, if it did
 * @param attempt        1, or 2 for the fresh run started in place of an interrupted one
 * @param retryOf        the interrupted run this one replaces, if any
 * @param copies         where it is stored
 */
public record Backup(UUID id, @Nullable UUID policyId, BackupKind kind, String region, String source, String zone, String trigger,
        @Nullable Instant scheduledFor, BackupStatus status, @Nullable String phase, Verification verification, Instant startedAt,
        @Nullable Instant finishedAt, @Nullable Long sizeBytes, @Nullable String sha256, @Nullable Integer partCount,
        @Nullable String objectKey, @Nullable String manifestKey, @Nullable String manifestSha256, @Nullable String sourceLsn,
        @Nullable Instant sourceTime, @Nullable JsonNode restoreTest, @Nullable String error, int attempt, @Nullable UUID retryOf,
        List<Copy> copies) {

    /**
     * One copy in one region's bucket.
     *
     * @param region      the region
     * @param bucket      its bucket
     * @param objectKey   data object key
     * @param manifestKey manifest key
     * @param status      PENDING, AVAILABLE, VERIFIED, CORRUPT, FAILED or DELETED
     * @param verifiedAt  when it was last checked against the manifest
     * @param detail      what the last check found
     */
    public record Copy(String region, String bucket, String objectKey, String manifestKey, String status, @Nullable Instant verifiedAt,
            @Nullable String detail) {
    }

    Backup withCopies(List<Copy> all) {
        return new Backup(id, policyId, kind, region, source, zone, trigger, scheduledFor, status, phase, verification, startedAt,
                finishedAt, sizeBytes, sha256, partCount, objectKey, manifestKey, manifestSha256, sourceLsn, sourceTime, restoreTest, error,
                attempt, retryOf, List.copyOf(all));
    }
}
