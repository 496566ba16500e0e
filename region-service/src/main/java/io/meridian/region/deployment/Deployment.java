package io.meridian.region.deployment;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * A deployment: service S at version V to a set of regions, or the rollback of one region.
 *
 * @param id            its id
 * @param kind          DEPLOY or ROLLBACK
 * @param service       the service
 * @param version       the version deployed (for a rollback, the version of the revision restored)
 * @param namespace     the Kubernetes namespace
 * @param state         RUNNING until every region finished, then SUCCEEDED, PARTIALLY_FAILED or FAILED
 * @param requestedBy   who asked for it
 * @param reason        why
 * @param entityVersion increases with every change (also the version of its events)
 * @param createdAt     when it was asked for
 * @param updatedAt     when it last changed
 * @param finishedAt    when its last region finished
 * @param regions       each region's run
 */
public record Deployment(UUID id, DeploymentKind kind, String service, String version, String namespace, DeploymentState state,
        String requestedBy, @Nullable String reason, long entityVersion, Instant createdAt, Instant updatedAt, @Nullable Instant finishedAt,
        List<RegionRun> regions) {

    /** The strong ETag of this version. */
    public String etag() {
        return "\"" + entityVersion + "\"";
    }
}
