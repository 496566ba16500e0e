/**
 * The routing contract between routing-service, which compiles and publishes it, and every consumer
 * that routes by it (the gateway, the DNS endpoint): the compiled {@link io.meridian.common.routing.RoutingTable}
 * published on {@code meridian.routing-table} keyed by service, and {@link io.meridian.common.routing.RoutingDecider},
 * the one function that turns a table and a located client into a {@link io.meridian.common.routing.RoutingDecision}.
 * Both sides run the same decider so that a gateway deciding locally, the DNS endpoint and
 * {@code GET /api/v1/routing/decide} always agree, including which client a weighted split sends where.
 */
@NullMarked
package io.meridian.common.routing;

import org.jspecify.annotations.NullMarked;
