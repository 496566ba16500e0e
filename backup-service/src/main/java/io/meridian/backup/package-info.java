/** backup-service: Backup policies, runs, catalog, cross-region copies, verification and restore. */
@NullMarked
package io.meridian.backup;

import org.jspecify.annotations.NullMarked;
