package io.meridian.region.deployment;

/**
 * A call to a region's Kubernetes API that failed, classified so the executor knows whether trying
 * again can help and can say why in the region's result.
 */
public class ClusterException extends RuntimeException {

    /** What went wrong. */
    public enum Failure {
        /** No connection (refused, reset, DNS): the API is down or unreachable. Retryable. */
        UNREACHABLE("ClusterUnreachable", true),
        /** The API did not answer in time. Retryable. */
        TIMEOUT("ClusterTimeout", true),
        /** The object changed under us (409). Retryable. */
        CONFLICT("ClusterConflict", true),
        /** The API failed (5xx, 429). Retryable. */
        SERVER_ERROR("ClusterError", true),
        /** The credentials were refused (401/403). Not retryable. */
        UNAUTHORIZED("ClusterUnauthorized", false),
        /** The API refused the object (400, 404 on a patch, 422). Not retryable. */
        REJECTED("ClusterRejected", false);

        private final String reason;
        private final boolean retryable;

        Failure(String reason, boolean retryable) {
            this.reason = reason;
            this.retryable = retryable;
        }

        /** The reason code shown in a region's result ({@code ClusterUnreachable}). */
        public String reason() {
            return reason;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    private final Failure failure;

    public ClusterException(Failure failure, String message, Throwable cause) {
        super(message, cause);
        this.failure = failure;
    }

    public ClusterException(Failure failure, String message) {
        super(message);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }

    public boolean retryable() {
        return failure.retryable();
    }
}
