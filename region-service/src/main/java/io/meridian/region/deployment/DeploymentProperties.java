package io.meridian.region.deployment;

import java.time.Duration;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How deployments run.
 *
 * @param namespace         the Kubernetes namespace services are deployed into
 * @param parallelism       how many region steps one instance runs at once
 * @param pollInterval      how often the executor looks for due work it was not woken for (other instances' work, expired leases)
 * @param leaseDuration     how long a claimed region step is this instance's; renewed while it works, taken over by another instance once expired
 * @param readyTimeout      how long a region may take to report its rollout complete before it fails with RolloutTimedOut
 * @param readyPollInterval how often a rolling-out region's workload status is read from the cluster
 * @param retry             retries of cluster calls within one step
 * @param driftPolicy       what to do about drift when a release's values do not say ({@code drift.policy}): correct or report
 * @param driftWatch        whether to watch the clusters for drift
 * @param driftResync       how often every deployed object is compared with its revision again, whatever the watches saw
 *                          (a watch misses what changed while it was reconnecting, or a cluster restored from an older
 *                          backup); zero turns it off
 * @param instanceId        this instance's name in leases; a random one when unset
 */
@ConfigurationProperties("meridian.deployments")
public record DeploymentProperties(
        @DefaultValue("meridian") String namespace,
        @DefaultValue("16") int parallelism,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("60s") Duration leaseDuration,
        @DefaultValue("10m") Duration readyTimeout,
        @DefaultValue("2s") Duration readyPollInterval,
        @DefaultValue Retry retry,
        @DefaultValue("report") String driftPolicy,
        @DefaultValue("true") boolean driftWatch,
        @DefaultValue("10m") Duration driftResync,
        @Nullable String instanceId) {

    public DeploymentProperties {
        if (parallelism < 1) {
            throw new IllegalArgumentException("meridian.deployments.parallelism must be at least 1");
        }
        if (!io.meridian.region.config.ValueRules.DRIFT_POLICIES.contains(driftPolicy)) {
            throw new IllegalArgumentException("meridian.deployments.drift-policy must be correct or report");
        }
        if (driftResync.isNegative()) {
            throw new IllegalArgumentException("meridian.deployments.drift-resync must not be negative");
        }
    }

    /**
     * Retries with exponential backoff (resilience4j) around the cluster calls of one step.
     *
     * @param maxAttempts    attempts in all, the first included
     * @param initialBackoff wait before the second attempt
     * @param multiplier     factor by which each wait grows
     * @param maxBackoff     longest wait
     */
    public record Retry(@DefaultValue("4") int maxAttempts, @DefaultValue("500ms") Duration initialBackoff,
            @DefaultValue("2.0") double multiplier, @DefaultValue("10s") Duration maxBackoff) {
    }
}
