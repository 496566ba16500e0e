package io.meridian.sample;

import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * A failure that answers the client with an RFC 9457 problem ({@code application/problem+json}).
 * It carries no stack trace to the client: only the stable {@code type}, a title, the status and
 * a detail written for the caller.
 */
final class ApiProblem extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Base of every problem type URI, shared with the control-plane services. */
    static final String TYPE_BASE = "https://meridian.dev/problems/";

    private final int status;
    private final String slug;
    private final String title;
    private final Map<String, Object> extensions;

    private ApiProblem(int status, String slug, String title, String detail, Map<String, Object> extensions,
            @Nullable Throwable cause) {
        super(detail, cause, false, cause != null);
        this.status = status;
        this.slug = slug;
        this.title = title;
        this.extensions = Map.copyOf(extensions);
    }

    static ApiProblem of(int status, String slug, String title, String detail) {
        return new ApiProblem(status, slug, title, detail, Map.of(), null);
    }

    /** 400 naming the invalid field, in the shape the control-plane services use. */
    static ApiProblem invalidField(String field, String reason) {
        return new ApiProblem(400, "validation", "Invalid field", field + ": " + reason,
                Map.of("field", field, "errors", java.util.List.of(Map.of("field", field, "reason", reason))), null);
    }

    /** 400 for a body that is not readable JSON. */
    static ApiProblem malformed(String detail) {
        return of(400, "malformed-request", "Malformed request", detail);
    }

    static ApiProblem notFound(String detail) {
        return of(404, "not-found", "Not found", detail);
    }

    static ApiProblem methodNotAllowed(String method, String path, String allow) {
        return new ApiProblem(405, "method-not-allowed", "Method not allowed",
                method + " is not supported on " + path + "; allowed: " + allow, Map.of("allow", allow), null);
    }

    static ApiProblem payloadTooLarge(long limit) {
        return of(413, "payload-too-large", "Payload too large", "the request body exceeds " + limit + " bytes");
    }

    static ApiProblem unsupportedMediaType(String got) {
        return of(415, "unsupported-media-type", "Unsupported media type",
                "the body must be application/json, not " + got);
    }

    static ApiProblem readOnlyRegion(String region) {
        return of(503, "read-only-region", "Read-only region",
                "the database of region " + region + " is a standby; writes go to the primary region");
    }

    static ApiProblem databaseUnavailable(String region, @Nullable Throwable cause) {
        return new ApiProblem(503, "unavailable", "Database unavailable",
                "the database of region " + region + " cannot be reached; retry later", Map.of(), cause);
    }

    static ApiProblem internal(String errorId, Throwable cause) {
        return new ApiProblem(500, "internal", "Internal error",
                "An unexpected error occurred; quote error id " + errorId + " when reporting it",
                Map.of("errorId", errorId), cause);
    }

    int status() {
        return status;
    }

    /** The last segment of the type URI, used as a low-cardinality metric tag. */
    String slug() {
        return slug;
    }

    /** The problem document: type, title, status, detail, instance, then the extensions. */
    Map<String, Object> body(String instance) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", TYPE_BASE + slug);
        body.put("title", title);
        body.put("status", status);
        body.put("detail", getMessage());
        body.put("instance", instance);
        body.putAll(extensions);
        return body;
    }
}
