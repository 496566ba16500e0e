package io.meridian.region.config;

import java.time.Instant;

/**
 * A service's stored template.
 *
 * @param service   the service
 * @param template  the template
 * @param version   increases with every change; the ETag
 * @param updatedAt when it last changed
 * @param updatedBy who changed it
 */
public record StoredTemplate(String service, ServiceTemplate template, long version, Instant updatedAt, String updatedBy) {

    /** The strong ETag of this version. */
    public String etag() {
        return "\"" + version + "\"";
    }
}
