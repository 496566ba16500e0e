@NullMarked
package io.meridian.common.events;

import org.jspecify.annotations.NullMarked;
