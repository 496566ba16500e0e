/**
 * Starts and stops the real infrastructure the Meridian local stack and the service tests run on
 * loopback: finding a JDK, picking ports and waiting for readiness. The components themselves live
 * in {@link io.meridian.stack.postgres}, {@link io.meridian.stack.kafka} and
 * {@link io.meridian.stack.process}.
 */
@NullMarked
package io.meridian.stack;

import org.jspecify.annotations.NullMarked;
