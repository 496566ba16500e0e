/**
 * Child processes whose pid is recorded in a pid file so that a later invocation (another JVM) can
 * find, signal and stop them, plus small helpers to run short commands and inspect processes
 * through {@code /proc}.
 */
@NullMarked
package io.meridian.stack.process;

import org.jspecify.annotations.NullMarked;
