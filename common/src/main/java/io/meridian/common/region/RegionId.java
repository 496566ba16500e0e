package io.meridian.common.region;

import java.util.regex.Pattern;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import io.meridian.common.problem.InvalidFieldException;

/**
 * Identifier of a region, shaped like a cloud region name: a lowercase area code, one or more
 * lowercase words, and a number, joined by hyphens ({@code eu-west-1}, {@code ap-northeast-1},
 * {@code us-gov-east-2}). At most 40 characters, so it fits DNS labels, Kubernetes names and keys.
 *
 * @param value the id
 */
public record RegionId(String value) implements Comparable<RegionId> {

    private static final Pattern SHAPE = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]{1,3}");

    /** Maximum length of an id. */
    public static final int MAX_LENGTH = 40;

    public RegionId {
        if (value == null || value.isBlank()) {
            throw new InvalidFieldException("id", "must not be blank");
        }
        if (value.length() > MAX_LENGTH) {
            throw new InvalidFieldException("id", "must be at most " + MAX_LENGTH + " characters");
        }
        if (!SHAPE.matcher(value).matches()) {
            throw new InvalidFieldException("id",
                    "must look like 'eu-west-1': lowercase area code, words and a number joined by hyphens");
        }
    }

    @JsonCreator
    public static RegionId of(String value) {
        return new RegionId(value);
    }

    /** Whether {@code candidate} is a well-formed id, without throwing. */
    public static boolean isValid(String candidate) {
        return candidate != null && candidate.length() <= MAX_LENGTH && SHAPE.matcher(candidate).matches();
    }

    @JsonValue
    @Override
    public String value() {
        return value;
    }

    @Override
    public int compareTo(RegionId other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
