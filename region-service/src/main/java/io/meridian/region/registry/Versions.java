package io.meridian.region.registry;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;

/** Reads the version a client expects from {@code If-Match} (strong ETags: {@code "3"}). */
final class Versions {

    private Versions() {
    }

    /** The version in a required {@code If-Match}; 428 when it is missing. */
    static long required(@Nullable String ifMatch) {
        Long version = optional(ifMatch);
        if (version == null) {
            throw new MeridianException(ProblemTypes.PRECONDITION_REQUIRED, 428, "Precondition required",
                    "This write needs If-Match with the ETag of the version you read (for example If-Match: \"3\")");
        }
        return version;
    }

    /** The version in an optional {@code If-Match}, or null. */
    static @Nullable Long optional(@Nullable String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            return null;
        }
        String value = ifMatch.trim();
        if (value.matches("\"[0-9]{1,18}\"")) {
            return Long.parseLong(value.substring(1, value.length() - 1));
        }
        throw new InvalidFieldException("If-Match", "must be one strong ETag as returned by the API, like \"3\"");
    }
}
