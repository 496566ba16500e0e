/** The HTTP API: status, history, switchover, rejoin, drills and clusters. */
@NullMarked
package io.meridian.failover.api;

import org.jspecify.annotations.NullMarked;
