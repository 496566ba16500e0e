package io.meridian.common.problem;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * Base of the typed exceptions services throw. Each maps to one RFC 9457 problem: a stable
 * {@code type} URI from {@link ProblemTypes}, an HTTP status, a short title and a detail, plus
 * optional extension members (for example the allowed transitions of a 409).
 */
public class MeridianException extends RuntimeException {

    private final URI type;
    private final int status;
    private final String title;
    private final Map<String, Object> properties = new LinkedHashMap<>();

    public MeridianException(URI type, int status, String title, String detail) {
        this(type, status, title, detail, null);
    }

    public MeridianException(URI type, int status, String title, String detail, @Nullable Throwable cause) {
        super(detail, cause);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("problem status must be 4xx or 5xx, was " + status);
        }
        this.type = type;
        this.status = status;
        this.title = title;
    }

    /** Adds an extension member to the problem (a name that RFC 9457 does not reserve). */
    public MeridianException with(String name, Object value) {
        if (Problems.RESERVED.contains(name)) {
            throw new IllegalArgumentException("'" + name + "' is a reserved problem member");
        }
        properties.put(name, value);
        return this;
    }

    public URI type() {
        return type;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public Map<String, Object> properties() {
        return Map.copyOf(properties);
    }

    /** This exception as a problem detail; {@code instance} is left for the edge to fill. */
    public ProblemDetail toProblemDetail() {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.valueOf(status), getMessage());
        problem.setType(type);
        problem.setTitle(title);
        properties.forEach(problem::setProperty);
        if (this instanceof InvalidFieldException invalid) {
            problem.setProperty("field", invalid.field());
            problem.setProperty("errors", java.util.List.of(Map.of("field", invalid.field(), "reason", invalid.reason())));
        }
        return problem;
    }

    public static MeridianException notFound(String what, String id) {
        return new MeridianException(ProblemTypes.NOT_FOUND, 404, what + " not found",
                "No " + what + " with id '" + id + "'").with("id", id);
    }

    public static MeridianException conflict(URI type, String title, String detail) {
        return new MeridianException(type, 409, title, detail);
    }

    public static MeridianException preconditionFailed(String detail) {
        return new MeridianException(ProblemTypes.PRECONDITION_FAILED, 412, "Precondition failed", detail);
    }
}
