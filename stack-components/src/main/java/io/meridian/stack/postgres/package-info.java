/**
 * Real PostgreSQL clusters on loopback, run from the server binaries of the machine (as the
 * {@code postgres} operating system user when the caller is root), including streaming standbys.
 */
@NullMarked
package io.meridian.stack.postgres;

import org.jspecify.annotations.NullMarked;
