/**
 * Shared test fixtures: the real PostgreSQL and Kafka every service test runs against (started once
 * per test JVM the way the local stack starts them), dev tokens for each role, and the open-endpoint
 * walk.
 */
@NullMarked
package io.meridian.testsupport;

import org.jspecify.annotations.NullMarked;
