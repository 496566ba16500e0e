@NullMarked
package io.meridian.common.time;

import org.jspecify.annotations.NullMarked;
