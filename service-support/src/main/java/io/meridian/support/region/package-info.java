/** The region registry as consuming services rebuild it from the compacted {@code meridian.region-events} topic. */
@NullMarked
package io.meridian.support.region;

import org.jspecify.annotations.NullMarked;
