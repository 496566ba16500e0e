/** Development bearer tokens for the local stack and the tests. */
@NullMarked
package io.meridian.stack.auth;

import org.jspecify.annotations.NullMarked;
