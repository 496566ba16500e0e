/**
 * The regional sample application: a small HTTP service, one per region, that tells which region
 * served a request, stores items in the region's PostgreSQL (refusing writes while that database is
 * a streaming standby) and exposes Prometheus metrics. It runs on the JDK's HTTP server with
 * virtual threads and no framework.
 */
@NullMarked
package io.meridian.sample;

import org.jspecify.annotations.NullMarked;
