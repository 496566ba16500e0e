package io.meridian.backup.topology;

import java.net.URI;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;

/** The problems the backup service answers with, beyond the shared ones in {@link ProblemTypes}. */
public final class BackupProblems {

    /** A stored object or manifest does not match what was recorded when it was written. */
    public static final URI INTEGRITY = ProblemTypes.of("backup-integrity");
    /** The action would overwrite live data and the request did not confirm it. */
    public static final URI CONFIRMATION_REQUIRED = ProblemTypes.of("confirmation-required");
    /** The backup or restore is not in a state that allows the action. */
    public static final URI ILLEGAL_STATE = ProblemTypes.ILLEGAL_TRANSITION;

    private BackupProblems() {
    }

    /** 409: {@code field} names a region outside the data's residency zone. */
    public static MeridianException residency(String field, String detail) {
        return new MeridianException(ProblemTypes.RESIDENCY_VIOLATION, 409, "Residency violation", field + ": " + detail)
                .with("field", field);
    }

    /** 409: the request must confirm overwriting {@code target} by repeating its name in {@code confirm}. */
    public static MeridianException confirmationRequired(String target, String detail) {
        return new MeridianException(CONFIRMATION_REQUIRED, 409, "Confirmation required", "confirm: " + detail)
                .with("field", "confirm").with("target", target);
    }

    /** 409: an object does not match its manifest (or the manifest its catalog entry). */
    public static MeridianException integrity(String detail) {
        return new MeridianException(INTEGRITY, 409, "Backup integrity check failed", detail);
    }

    /** 409: not allowed in the current state. */
    public static MeridianException illegalState(String detail) {
        return new MeridianException(ILLEGAL_STATE, 409, "Not allowed in this state", detail);
    }
}
