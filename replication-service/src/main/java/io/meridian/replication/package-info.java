/** replication-service: Replication links, change capture and apply, conflicts, lag and the residency filter. */
@NullMarked
package io.meridian.replication;

import org.jspecify.annotations.NullMarked;
