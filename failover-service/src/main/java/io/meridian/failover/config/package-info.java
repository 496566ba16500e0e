/** Configuration of failover-service: thresholds, topology, executor and host adapter. */
@NullMarked
package io.meridian.failover.config;

import org.jspecify.annotations.NullMarked;
