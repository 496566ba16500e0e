/** Transaction helpers shared by the services. */
@NullMarked
package io.meridian.support.tx;

import org.jspecify.annotations.NullMarked;
