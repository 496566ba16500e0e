/** The logging context every request and operation carries (operation id, region). */
@NullMarked
package io.meridian.support.logging;

import org.jspecify.annotations.NullMarked;
