/** Failover contracts: the steps of a failover or switchover as other services see them. */
@NullMarked
package io.meridian.common.failover;

import org.jspecify.annotations.NullMarked;
