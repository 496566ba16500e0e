package io.meridian.routing.engine;

import java.time.Instant;

/**
 * A policy as stored: the validated policy, its version (the ETag, increasing with every change) and timestamps.
 *
 * @param policy    the policy
 * @param version   its version
 * @param createdAt when it was created
 * @param updatedAt when it last changed
 */
public record StoredPolicy(RoutingPolicy policy, long version, Instant createdAt, Instant updatedAt) {

    /** The strong ETag of this version. */
    public String etag() {
        return "\"" + version + "\"";
    }
}
