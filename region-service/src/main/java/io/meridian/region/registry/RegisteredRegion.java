package io.meridian.region.registry;

import java.time.Instant;

import io.meridian.common.region.Region;

/**
 * A region as the registry holds it: the model plus its version (the ETag) and timestamps.
 *
 * @param region    the region
 * @param version   increases by one with every change; the HTTP ETag and the event version
 * @param createdAt when it was registered
 * @param updatedAt when it last changed
 */
public record RegisteredRegion(Region region, long version, Instant createdAt, Instant updatedAt) {

    /** The strong ETag of this version. */
    public String etag() {
        return "\"" + version + "\"";
    }
}
