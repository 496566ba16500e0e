/** Finding and cleaning up the runs and restores whose instance died, from what the catalog persisted. */
@NullMarked
package io.meridian.backup.recovery;

import org.jspecify.annotations.NullMarked;
