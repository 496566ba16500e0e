
@NullMarked
package io.meridian.support.problem;

import org.jspecify.annotations.NullMarked;
