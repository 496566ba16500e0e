/** The inputs of routing: the region registry, health and failover state from Kafka, measured latencies. */
@NullMarked
package io.meridian.routing.inputs;

import org.jspecify.annotations.NullMarked;
