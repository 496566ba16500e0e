/** Active probes of every member (connect, query, write, replication state and lag) and their publication as health observations. */
@NullMarked
package io.meridian.failover.probe;

import org.jspecify.annotations.NullMarked;
