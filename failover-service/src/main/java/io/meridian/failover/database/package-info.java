/** SQL-level actions on the managed PostgreSQL databases, with hard timeouts: probes, fencing, promotion, writes, replication slots. */
@NullMarked
package io.meridian.failover.database;

import org.jspecify.annotations.NullMarked;
