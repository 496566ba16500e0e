package io.meridian.backup.topology;

import java.util.UUID;
import java.util.regex.Pattern;

import io.meridian.common.problem.InvalidFieldException;

/**
 * The shapes of every name and id that reaches a command line, an object key, a data directory or
 * SQL: strict allow-lists, so that no path trick ({@code ..}, {@code /}, {@code %2e}, quotes, option
 * injection with a leading {@code -}) gets through.
 */
public final class Names {

    private static final Pattern DATABASE = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern POLICY = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern UUID_SHAPE = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private Names() {
    }

    /** A PostgreSQL database name Meridian manages: lowercase letters, digits, underscores, at most 63. */
    public static String database(String field, String value) {
        return check(field, value, DATABASE, "must be a database name: lowercase letters, digits and _ (at most 63), not starting with a digit");
    }

    /** A Kubernetes namespace name (DNS-1123 label). */
    public static String namespace(String field, String value) {
        return check(field, value, NAMESPACE, "must be a Kubernetes namespace name: lowercase letters, digits and -, at most 63");
    }

    /** A policy name: lowercase letters, digits and hyphens. */
    public static String policy(String field, String value) {
        return check(field, value, POLICY, "must be lowercase letters, digits and -, at most 63, starting and ending alphanumeric");
    }

    /** An id: a lowercase UUID. */
    public static UUID id(String field, String value) {
        check(field, value, UUID_SHAPE, "must be a UUID such as 3f0c2b9e-6f1d-4c59-9d8e-1b2a3c4d5e6f");
        return UUID.fromString(value);
    }

    private static String check(String field, String value, Pattern shape, String reason) {
        if (value == null || value.isBlank()) {
            throw new InvalidFieldException(field, "must not be blank");
        }
        if (!shape.matcher(value).matches()) {
            throw new InvalidFieldException(field, reason);
        }
        return value;
    }
}
