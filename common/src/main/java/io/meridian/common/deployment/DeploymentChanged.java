package io.meridian.common.deployment;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * Data of the deployment events on {@code meridian.rollout-events} (keyed by deployment id). Started
 * and finished events carry every region; a region-changed event carries the deployment's state and
 * the one region that changed (a deployment may span hundreds of regions). Event versions
 * ({@code entityversion}) increase per deployment.
 *
 * @param deploymentId the deployment
 * @param kind         {@code DEPLOY} or {@code ROLLBACK}
 * @param service      the service
 * @param version      the version deployed
 * @param state        {@code RUNNING}, {@code SUCCEEDED}, {@code PARTIALLY_FAILED} or {@code FAILED}
 * @param regions      each region's outcome so far (only the changed one in a region-changed event)
 * @param requestedBy  who asked for the deployment
 * @param reason       why
 * @param changedRegion the region whose change this event reports, if it reports one
 * @param at           when the change happened
 */
public record DeploymentChanged(UUID deploymentId, String kind, String service, String version, String state, List<RegionOutcome> regions,
        String requestedBy, @Nullable String reason, @Nullable RegionId changedRegion, Instant at) {

    /**
     * Where one region stands.
     *
     * @param region   the region
     * @param state    {@code PENDING}, {@code APPLYING}, {@code ROLLING_OUT}, {@code SUCCEEDED} or {@code FAILED}
     * @param reason   a CamelCase reason ({@code RolloutComplete}, {@code ClusterUnreachable}, ...)
     * @param message  what happened
     * @param revision the revision it creates, once rendered
     * @param attempts cluster call attempts so far
     */
    public record RegionOutcome(RegionId region, String state, String reason, @Nullable String message, @Nullable Integer revision,
            int attempts) {
    }
}
