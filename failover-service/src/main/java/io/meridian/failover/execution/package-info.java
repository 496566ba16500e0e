/** The persisted, resumable failover, switchover and rejoin state machine, its executor lease with a fencing token, and the history. */
@NullMarked
package io.meridian.failover.execution;

import org.jspecify.annotations.NullMarked;
