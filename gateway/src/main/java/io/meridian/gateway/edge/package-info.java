
@NullMarked
package io.meridian.gateway.edge;

import org.jspecify.annotations.NullMarked;
