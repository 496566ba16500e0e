/**
 * Deployments: service S at version V to a set of regions, one persisted state machine per region
 * (PENDING, APPLYING, ROLLING_OUT, then SUCCEEDED or FAILED) driven by {@link io.meridian.region.deployment.DeploymentExecutor}
 * under per-row leases, so a restart resumes where it stopped and two instances never act on the same
 * region at once; revisions kept for rollback; drift found by watching the clusters. Clusters are
 * reached through the {@link io.meridian.region.deployment.Clusters} port only; the fabric8 adapter
 * lives in {@code io.meridian.region.kubernetes}.
 */
@NullMarked
package io.meridian.region.deployment;

import org.jspecify.annotations.NullMarked;
