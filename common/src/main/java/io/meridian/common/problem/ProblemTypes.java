package io.meridian.common.problem;

import java.net.URI;

/**
 * Stable problem {@code type} URIs. Clients switch on these, never on titles or details, so a URI
 * never changes meaning once published. Each resolves to a page under {@code docs/problems.md}.
 */
public final class ProblemTypes {

    /** Base of every Meridian problem type. */
    public static final String BASE = "https://meridian.dev/problems/";

    /** One or more fields are invalid; the problem lists them under {@code errors}. */
    public static final URI VALIDATION = of("validation");
    /** The request body could not be read (malformed JSON, wrong type for a field). */
    public static final URI MALFORMED_REQUEST = of("malformed-request");
    /** The addressed resource does not exist. */
    public static final URI NOT_FOUND = of("not-found");
    /** A resource with that id exists already. */
    public static final URI ALREADY_EXISTS = of("already-exists");
    /** The state machine does not allow the change; the problem lists the allowed ones. */
    public static final URI ILLEGAL_TRANSITION = of("illegal-transition");
    /** {@code If-Match} did not match the current version. */
    public static final URI PRECONDITION_FAILED = of("precondition-failed");
    /** A write that requires {@code If-Match} came without it. */
    public static final URI PRECONDITION_REQUIRED = of("precondition-required");
    /** The request would move regulated data out of its residency zone. */
    public static final URI RESIDENCY_VIOLATION = of("residency-violation");
    /** No bearer token, or one that is expired, forged or malformed. */
    public static final URI UNAUTHENTICATED = of("unauthenticated");
    /** The caller's roles do not allow the action. */
    public static final URI FORBIDDEN = of("forbidden");
    /** The HTTP method is not supported on that path. */
    public static final URI METHOD_NOT_ALLOWED = of("method-not-allowed");
    /** The body's media type is not supported. */
    public static final URI UNSUPPORTED_MEDIA_TYPE = of("unsupported-media-type");
    /** The caller sent too many requests. */
    public static final URI RATE_LIMITED = of("rate-limited");
    /** The body is larger than allowed. */
    public static final URI PAYLOAD_TOO_LARGE = of("payload-too-large");
    /** A dependency (database, broker, cluster) is unavailable; retry later. */
    public static final URI UNAVAILABLE = of("unavailable");
    /** An unexpected failure; the detail carries an id to find it in the logs, never a stack trace. */
    public static final URI INTERNAL = of("internal");

    private ProblemTypes() {
    }

    /** The URI of problem type {@code slug}; slugs are lowercase words joined by hyphens. */
    public static URI of(String slug) {
        if (!slug.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new IllegalArgumentException("problem slug must be lowercase words joined by hyphens: " + slug);
        }
        return URI.create(BASE + slug);
    }
}
