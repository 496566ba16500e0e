/** The PostgreSQL adapter: pg_dump, pg_basebackup, pg_restore, snapshots with row counts and content hashes. */
@NullMarked
package io.meridian.backup.postgres;

import org.jspecify.annotations.NullMarked;
