
@NullMarked
package io.meridian.support.kafka;

import org.jspecify.annotations.NullMarked;
