package io.meridian.region.deployment;

import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * One release of a service into a region, kept for rollback.
 *
 * @param service        the service
 * @param region         the region
 * @param revision       1, 2, 3, ... per service and region
 * @param version        the version it runs
 * @param deploymentId   the deployment that made it
 * @param status         PENDING, DEPLOYED (what runs now), SUPERSEDED or FAILED
 * @param sourceRevision for a rollback, the revision it restored
 * @param checksum       SHA-256 of its objects
 * @param createdAt      when it was rendered
 * @param updatedAt      when its status last changed
 */
public record Revision(String service, RegionId region, int revision, String version, UUID deploymentId, RevisionStatus status,
        @Nullable Integer sourceRevision, String checksum, Instant createdAt, Instant updatedAt) {
}
