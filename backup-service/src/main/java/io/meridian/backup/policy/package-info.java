/** Backup policies and the scheduler that holds the lease. */
@NullMarked
package io.meridian.backup.policy;

import org.jspecify.annotations.NullMarked;
