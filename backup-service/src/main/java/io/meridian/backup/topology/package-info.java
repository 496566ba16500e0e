/** The managed regions as backups see them: residency zones, databases, buckets, clusters; where copies may go. */
@NullMarked
package io.meridian.backup.topology;

import org.jspecify.annotations.NullMarked;
