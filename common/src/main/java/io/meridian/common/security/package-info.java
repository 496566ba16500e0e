@NullMarked
package io.meridian.common.security;

import org.jspecify.annotations.NullMarked;
