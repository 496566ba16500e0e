/** Configuration of the routing engine: properties and beans. */
@NullMarked
package io.meridian.routing.config;

import org.jspecify.annotations.NullMarked;
