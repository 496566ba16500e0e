/** Restores into a region: nearest verified copy, checked before any byte is applied, cancellable, atomic. */
@NullMarked
package io.meridian.backup.restore;

import org.jspecify.annotations.NullMarked;
