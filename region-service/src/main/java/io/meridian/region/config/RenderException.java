package io.meridian.region.config;

import java.net.URI;
import java.util.List;
import java.util.Map;

import org.springframework.http.ProblemDetail;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems.FieldError;

/**
 * A template and its values that do not render for a region: a placeholder without a value, a value
 * of the wrong shape once the layers are merged, an invalid name. 422 with every problem in
 * {@code errors}, each naming the manifest field or value.
 */
public class RenderException extends MeridianException {

    /** Problem type of a configuration that does not render. */
    public static final URI RENDER_FAILED = ProblemTypes.of("render-failed");

    private final List<FieldError> errors;

    public RenderException(String service, String region, List<FieldError> errors) {
        super(RENDER_FAILED, 422, "Configuration does not render", "The configuration of " + service + " does not render for "
                + region + ": " + String.join("; ", errors.stream().map(e -> e.field() + " " + e.reason()).toList()));
        this.errors = List.copyOf(errors);
        with("service", service);
        with("region", region);
    }

    public List<FieldError> errors() {
        return errors;
    }

    @Override
    public ProblemDetail toProblemDetail() {
        ProblemDetail problem = super.toProblemDetail();
        problem.setProperty("errors", errors.stream().map(e -> Map.of("field", e.field(), "reason", e.reason())).toList());
        return problem;
    }
}
