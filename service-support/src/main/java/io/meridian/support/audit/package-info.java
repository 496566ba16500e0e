
@NullMarked
package io.meridian.support.audit;

import org.jspecify.annotations.NullMarked;
