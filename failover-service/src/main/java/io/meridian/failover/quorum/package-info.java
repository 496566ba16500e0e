/** Observations from every observer and the quorum decision that acts or holds, with its reasons. */
@NullMarked
package io.meridian.failover.quorum;

import org.jspecify.annotations.NullMarked;
