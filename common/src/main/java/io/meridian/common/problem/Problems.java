package io.meridian.common.problem;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * Factory for the problem details every edge (servlet services and the reactive gateway) answers
 * with, so that the same failure looks the same wherever it is reported.
 */
public final class Problems {

    /** Members RFC 9457 defines; extensions must not reuse them. */
    static final Set<String> RESERVED = Set.of("type", "title", "status", "detail", "instance");

    private Problems() {
    }

    /** One entry of a validation problem's {@code errors} member. */
    public record FieldError(String field, String reason) {
    }

    /** 400 naming every invalid field; {@code field} is the first of them for clients that read one. */
    public static ProblemDetail validation(List<FieldError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a validation problem names at least one field");
        }
        String detail = errors.size() == 1
                ? errors.getFirst().field() + ": " + errors.getFirst().reason()
                : errors.size() + " fields are invalid: " + String.join(", ", errors.stream().map(FieldError::field).toList());
        ProblemDetail problem = base(HttpStatus.BAD_REQUEST, ProblemTypes.VALIDATION, "Invalid field", detail);
        problem.setProperty("field", errors.getFirst().field());
        problem.setProperty("errors", errors.stream().map(e -> Map.of("field", e.field(), "reason", e.reason())).toList());
        return problem;
    }

    public static ProblemDetail unauthenticated(String detail) {
        return base(HttpStatus.UNAUTHORIZED, ProblemTypes.UNAUTHENTICATED, "Authentication required", detail);
    }

    public static ProblemDetail forbidden(String detail) {
        return base(HttpStatus.FORBIDDEN, ProblemTypes.FORBIDDEN, "Not allowed", detail);
    }

    public static ProblemDetail internal(String errorId) {
        ProblemDetail problem = base(HttpStatus.INTERNAL_SERVER_ERROR, ProblemTypes.INTERNAL, "Internal error",
                "An unexpected error occurred; quote error id " + errorId + " when reporting it");
        problem.setProperty("errorId", errorId);
        return problem;
    }

    public static ProblemDetail of(HttpStatus status, java.net.URI type, String title, String detail) {
        return base(status, type, title, detail);
    }

    private static ProblemDetail base(HttpStatus status, java.net.URI type, String title, String detail) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setType(type);
        problem.setTitle(title);
        return problem;
    }
}
