package io.meridian.region.deployment;

import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import tools.jackson.databind.JsonNode;

/**
 * A region run claimed by one executor instance: what a step needs, and the lease that fences it.
 * Every write for the run names the holder and the token; once another instance has taken the lease
 * over, those writes match nothing and the step stops.
 */
record Claim(UUID deploymentId, RegionId region, String service, String version, String namespace, DeploymentKind kind,
        RegionState state, @Nullable Integer revision, @Nullable Integer sourceRevision, @Nullable JsonNode manifests,
        @Nullable Instant rolloutStartedAt, int attempts, String holder, long token, String requestedBy, @Nullable String reason,
        Instant createdAt) {

    String key() {
        return deploymentId + "/" + region;
    }

    Claim at(RegionState next, @Nullable Integer newRevision, @Nullable JsonNode newManifests, @Nullable Instant startedAt, int addedAttempts) {
        return new Claim(deploymentId, region, service, version, namespace, kind, next, newRevision == null ? revision : newRevision,
                sourceRevision, newManifests == null ? manifests : newManifests, startedAt == null ? rolloutStartedAt : startedAt,
                attempts + addedAttempts, holder, token, requestedBy, reason, createdAt);
    }
}
