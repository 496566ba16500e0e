
@NullMarked
package io.meridian.gateway.config;

import org.jspecify.annotations.NullMarked;
