/** Contracts of deployments: the data of the events on {@code meridian.rollout-events}. */
@NullMarked
package io.meridian.common.deployment;

import org.jspecify.annotations.NullMarked;
