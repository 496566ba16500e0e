/**
 * The local stack: starts Meridian's whole multi-region topology on loopback with no Docker (Kafka,
 * the control-plane PostgreSQL, a PostgreSQL cluster per simulated region with a streaming standby,
 * an S3 API, a simulated Kubernetes API per region, a sample app per region, the services and the
 * gateway), records what runs where in {@code stack.json}, reports its status and stops it again.
 * {@link io.meridian.stack.LocalStack} is the command line on top.
 */
@NullMarked
package io.meridian.stack.local;

import org.jspecify.annotations.NullMarked;
