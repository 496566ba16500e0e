package io.meridian.region.config;

import java.time.Instant;

import tools.jackson.databind.JsonNode;

/**
 * A stored value layer.
 *
 * @param key       which layer
 * @param values    its values, a JSON object
 * @param version   increases with every change; the ETag
 * @param updatedAt when it last changed
 * @param updatedBy who changed it
 */
public record StoredLayer(LayerKey key, JsonNode values, long version, Instant updatedAt, String updatedBy) {

    /** The strong ETag of this version. */
    public String etag() {
        return "\"" + version + "\"";
    }
}
