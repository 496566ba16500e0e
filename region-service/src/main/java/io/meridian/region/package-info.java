/** region-service: the region registry, placements, per-region configuration, deployments and rollouts. */
@NullMarked
package io.meridian.region;

import org.jspecify.annotations.NullMarked;
