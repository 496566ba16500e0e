/** Settings of the backup service and the beans built from them. */
@NullMarked
package io.meridian.backup.config;

import org.jspecify.annotations.NullMarked;
