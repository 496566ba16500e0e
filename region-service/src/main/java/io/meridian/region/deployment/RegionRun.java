package io.meridian.region.deployment;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;
import tools.jackson.databind.JsonNode;

/**
 * One region of a deployment: where its state machine stands and why.
 *
 * @param region         the region
 * @param state          its state
 * @param reason         a stable CamelCase reason ({@code WaitingForRollout}, {@code ClusterUnreachable}, {@code RolloutComplete})
 * @param message        what happened, for people
 * @param attempts       cluster call attempts made so far (retries included)
 * @param revision       the revision this run creates, once rendered
 * @param sourceRevision for a rollback, the revision whose objects are applied again
 * @param applied        what applying did to each object ({@code [{"object":"Deployment/web","action":"UPDATE"}]})
 * @param cluster        the workload status last read from the cluster (observedGeneration, readyReplicas, conditions)
 * @param transitionedAt when the state last changed
 * @param finishedAt     when it reached SUCCEEDED or FAILED
 */
public record RegionRun(RegionId region, RegionState state, String reason, @Nullable String message, int attempts,
        @Nullable Integer revision, @Nullable Integer sourceRevision, @Nullable JsonNode applied, @Nullable JsonNode cluster,
        Instant transitionedAt, @Nullable Instant finishedAt) {
}
