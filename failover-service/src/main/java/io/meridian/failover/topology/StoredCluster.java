package io.meridian.failover.topology;

import java.time.Instant;

/**
 * A cluster as stored, with its version (bumped by every role change) and when it last changed.
 *
 * @param cluster   the cluster
 * @param version   its version
 * @param updatedAt when it last changed
 */
public record StoredCluster(Cluster cluster, long version, Instant updatedAt) {
}
