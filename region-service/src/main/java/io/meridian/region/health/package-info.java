/** Health score per region from active and passive observations. */
@NullMarked
package io.meridian.region.health;

import org.jspecify.annotations.NullMarked;
