
@NullMarked
package io.meridian.support.web;

import org.jspecify.annotations.NullMarked;
