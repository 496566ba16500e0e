/** routing-service: Routing policies, the routing table, GeoIP and DNS answers. */
@NullMarked
package io.meridian.routing;

import org.jspecify.annotations.NullMarked;
