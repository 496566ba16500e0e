package io.meridian.region.config;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;

/** Reads the version a client expects from {@code If-Match} (strong ETags such as {@code "3"}), as the registry does. */
public final class ETags {

    private ETags() {
    }

    /** The version in a required {@code If-Match}; 428 when it is missing. */
    public static long required(@Nullable String ifMatch) {
        Long version = optional(ifMatch);
        if (version == null) {
            throw new MeridianException(ProblemTypes.PRECONDITION_REQUIRED, 428, "Precondition required",
                    "This write needs If-Match with the ETag of the version you read (for example If-Match: \"3\")");
        }
        return version;
    }

    /** The version in an optional {@code If-Match}, or null. */
    public static @Nullable Long optional(@Nullable String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            return null;
        }
        String value = ifMatch.trim();
        if (value.matches("\"[0-9]{1,18}\"")) {
            return Long.parseLong(value.substring(1, value.length() - 1));
        }
        throw new InvalidFieldException("If-Match", "must be one strong ETag as returned by the API, like \"3\"");
    }

    /** 412 for a write that expected {@code expected} but found {@code current} (null: nothing stored). */
    public static MeridianException stale(String what, long expected, @Nullable Long current) {
        MeridianException stale = MeridianException.preconditionFailed(current == null
                ? what + " does not exist, so it cannot be at version " + expected + "; create it without If-Match"
                : what + " is at version " + current + ", not " + expected + "; read it again and retry").with("expectedVersion", expected);
        if (current != null) {
            stale.with("currentVersion", current);
        }
        return stale;
    }

    /** 428 for a create that found the resource already there. */
    public static MeridianException exists(String what, long current) {
        return new MeridianException(ProblemTypes.PRECONDITION_REQUIRED, 428, "Precondition required",
                what + " exists (version " + current + "); replace it with If-Match: \"" + current + "\"").with("currentVersion", current);
    }
}
