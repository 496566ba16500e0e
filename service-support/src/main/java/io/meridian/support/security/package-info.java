
@NullMarked
package io.meridian.support.security;

import org.jspecify.annotations.NullMarked;
