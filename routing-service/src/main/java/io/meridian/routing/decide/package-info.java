/** Routing decisions over HTTP: GET /api/v1/routing/decide and the compiled tables. */
@NullMarked
package io.meridian.routing.decide;

import org.jspecify.annotations.NullMarked;
