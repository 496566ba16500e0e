/**
 * A real single-node KRaft Kafka broker run in its own JVM from the jars resolved by the
 * {@code kafka-broker} module.
 */
@NullMarked
package io.meridian.stack.kafka;

import org.jspecify.annotations.NullMarked;
