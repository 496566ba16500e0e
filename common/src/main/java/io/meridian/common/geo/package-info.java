/** GeoIP: client addresses to locations (geoip2 over a MaxMind City database), and IP literal parsing. */
@NullMarked
package io.meridian.common.geo;

import org.jspecify.annotations.NullMarked;
