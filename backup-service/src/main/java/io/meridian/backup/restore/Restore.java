package io.meridian.backup.restore;

import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * A restore of a backup into a region.
 *
 * @param id           restore id
 * @param backupId     the backup
 * @param kind         the backup's kind
 * @param targetRegion the region restored into
 * @param target       database, namespace or data directory restored into
 * @param mode         NEW or REPLACE
 * @param sourceRegion the region whose copy was read (the nearest verified copy)
 * @param status       RUNNING, SUCCEEDED, FAILED or CANCELLED
 * @param phase        QUEUED, VERIFYING (download checked against the manifest), RESTORING, CHECKING, SWAPPING, DONE
 * @param bytesDone    bytes read and checked so far
 * @param bytesTotal   bytes to read
 * @param requestedBy  who asked
 * @param startedAt    start
 * @param finishedAt   end
 * @param result       what was compared and found
 * @param error        why it failed
 */
public record Restore(UUID id, UUID backupId, String kind, String targetRegion, String target, String mode, @Nullable String sourceRegion,
        String status, String phase, long bytesDone, long bytesTotal, String requestedBy, Instant startedAt, @Nullable Instant finishedAt,
        @Nullable JsonNode result, @Nullable String error) {
}
