package io.meridian.common.problem;

/**
 * A value that breaks a contract of the model. Carries the name of the offending field so that the
 * edge can answer 400 with a problem detail naming it.
 */
public class InvalidFieldException extends MeridianException {

    private final String field;

    public InvalidFieldException(String field, String reason) {
        super(ProblemTypes.VALIDATION, 400, "Invalid field", field + ": " + reason);
        this.field = field;
    }

    /** The JSON path-like name of the offending field, for example {@code location.latitude}. */
    public String field() {
        return field;
    }

    /** The same failure with the field name prefixed, for nested values ({@code location} + {@code latitude}). */
    public InvalidFieldException nestedIn(String parent) {
        InvalidFieldException nested = new InvalidFieldException(parent + "." + field, reason());
        nested.setStackTrace(getStackTrace());
        return nested;
    }

    /** The reason without the field name. */
    public String reason() {
        String detail = getMessage();
        int colon = detail.indexOf(": ");
        return colon < 0 ? detail : detail.substring(colon + 2);
    }
}
