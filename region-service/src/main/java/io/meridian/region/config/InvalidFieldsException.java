package io.meridian.region.config;

import java.util.List;

import org.springframework.http.ProblemDetail;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;

/**
 * Several invalid fields at once: a 400 validation problem whose {@code errors} member names every
 * one of them (the first also in {@code field}), so a client fixes a document in one round trip.
 */
public class InvalidFieldsException extends MeridianException {

    private final List<Problems.FieldError> errors;

    public InvalidFieldsException(List<Problems.FieldError> errors) {
        super(ProblemTypes.VALIDATION, 400, "Invalid field", Problems.validation(errors).getDetail());
        this.errors = List.copyOf(errors);
    }

    /** Throws if {@code errors} is not empty. */
    public static void throwIfAny(List<Problems.FieldError> errors) {
        if (!errors.isEmpty()) {
            throw new InvalidFieldsException(errors);
        }
    }

    /** Every invalid field with its reason. */
    public List<Problems.FieldError> errors() {
        return errors;
    }

    @Override
    public ProblemDetail toProblemDetail() {
        ProblemDetail problem = Problems.validation(errors);
        properties().forEach(problem::setProperty);
        return problem;
    }
}
