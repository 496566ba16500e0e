/** Which regional databases form a primary/standby cluster, and each member's current role, persisted. */
@NullMarked
package io.meridian.failover.topology;

import org.jspecify.annotations.NullMarked;
