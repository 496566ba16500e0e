/** The region registry: regions, their lifecycle, persistence and the region-events topic. */
@NullMarked
package io.meridian.region.registry;

import org.jspecify.annotations.NullMarked;
