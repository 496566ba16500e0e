@NullMarked
package io.meridian.common.problem;

import org.jspecify.annotations.NullMarked;
