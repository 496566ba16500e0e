/**
 * Spring Boot auto-configuration every Meridian servlet service shares. Adding this module to a
 * service gives it JWT bearer security with the Meridian roles, RFC 9457 problem details for every
 * error, audit records of control actions, Kafka connectivity in its readiness, event publishing,
 * the shared topics, an OpenAPI bearer scheme and the common defaults.
 */
@NullMarked
package io.meridian.support;

import org.jspecify.annotations.NullMarked;
