/** Settings of the JVM and of libraries that have to be made before they load. */
@NullMarked
package io.meridian.common.jvm;

import org.jspecify.annotations.NullMarked;
