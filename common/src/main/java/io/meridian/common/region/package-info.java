@NullMarked
package io.meridian.common.region;

import org.jspecify.annotations.NullMarked;
