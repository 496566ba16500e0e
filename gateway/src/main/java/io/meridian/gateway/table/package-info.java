/**
 * The routing tables the gateway routes by: consumed from the compacted {@code meridian.routing-table}
 * topic, kept in memory with a decider per table version, and written to disk as the last known good
 * state the gateway starts from when Kafka or the control plane is down (static stability).
 */
@NullMarked
package io.meridian.gateway.table;

import org.jspecify.annotations.NullMarked;
