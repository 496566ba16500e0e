/** Round-trip times between regions: measured where probes or operators reported them, estimated from distance elsewhere. */
@NullMarked
package io.meridian.region.latency;

import org.jspecify.annotations.NullMarked;
