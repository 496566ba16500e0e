package io.meridian.region.config;

import java.util.regex.Pattern;

import io.meridian.common.problem.InvalidFieldException;

/** Service names are DNS-1123 labels, so they can name Kubernetes objects and label values. */
public final class ServiceName {

    private static final Pattern LABEL = Pattern.compile("[a-z]([a-z0-9-]{0,61}[a-z0-9])?");

    private ServiceName() {
    }

    /** {@code value} if it is a valid service name; else a 400 naming {@code field}. */
    public static String require(String field, @org.jspecify.annotations.Nullable String value) {
        if (value == null || !LABEL.matcher(value).matches()) {
            throw new InvalidFieldException(field, "must be a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting with a letter");
        }
        return value;
    }

    /** Whether {@code value} is a valid service name. */
    public static boolean isValid(String value) {
        return LABEL.matcher(value).matches();
    }
}
