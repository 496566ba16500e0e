/** Explainable placement: which regions may run a service, and for each excluded region, why. */
@NullMarked
package io.meridian.region.placement;

import org.jspecify.annotations.NullMarked;
