package io.meridian.common.region;

import java.util.Arrays;
import java.util.List;

import io.meridian.common.problem.InvalidFieldException;

/**
 * A data residency zone: data tagged for a zone is stored and served only in regions of that zone.
 */
public enum ResidencyZone {
    /** European Union and EEA. */
    EU,
    /** United States. */
    US,
    /** Brazil. */
    BR,
    /** Asia-Pacific. */
    APAC,
    /** Canada. */
    CA,
    /** United Kingdom. */
    UK;

    /** Parses a zone name, naming the field and the known zones when it is unknown. */
    public static ResidencyZone parse(String field, String value) {
        for (ResidencyZone zone : values()) {
            if (zone.name().equals(value)) {
                return zone;
            }
        }
        throw new InvalidFieldException(field, "unknown zone '" + value + "'; known zones: " + names());
    }

    /** The known zone names. */
    public static List<String> names() {
        return Arrays.stream(values()).map(Enum::name).toList();
    }
}
