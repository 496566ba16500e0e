/** The catalog: backups, their copies, runs (scheduled and on demand), verification and retention. */
@NullMarked
package io.meridian.backup.catalog;

import org.jspecify.annotations.NullMarked;
