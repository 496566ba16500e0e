/**
 * GeoIP for live traffic: client addresses to locations over a MaxMind City database, and IP literal
 * parsing. A copy of routing-service's {@code io.meridian.routing.geo} (the gateway is a WebFlux app and
 * cannot depend on the servlet routing-service); both must stay identical so that the gateway and
 * routing-service locate a client the same way. Moving them to a shared module is a follow-up.
 */
@NullMarked
package io.meridian.gateway.geo;

import org.jspecify.annotations.NullMarked;
