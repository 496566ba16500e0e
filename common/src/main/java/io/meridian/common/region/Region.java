package io.meridian.common.region;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import io.meridian.common.problem.InvalidFieldException;

/**
 * A region Meridian runs the service in.
 *
 * @param id          the region id
 * @param displayName human name ({@code Europe (Ireland)})
 * @param provider    who runs it ({@code aws}, {@code gcp}, {@code on-prem}, {@code local})
 * @param location    where it is
 * @param zone        its residency zone
 * @param regimes     the compliance regimes it is certified for; each localising regime must match the zone
 * @param status      its lifecycle state
 * @param endpoints   how to reach its parts
 * @param capacity    what it can host
 * @param labels      free labels for placement ({@code tier=gold}); Kubernetes label syntax
 */
public record Region(RegionId id, String displayName, String provider, GeoLocation location, ResidencyZone zone,
        Set<ComplianceRegime> regimes, RegionStatus status, RegionEndpoints endpoints, Capacity capacity,
        Map<String, String> labels) {

    // Compiled once: regions are built for every registry read, and String.matches compiles its pattern each time.
    private static final Pattern PROVIDER = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern LABEL_KEY = Pattern.compile(
            "([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");

    public Region {
        require("id", id);
        if (displayName == null || displayName.isBlank() || displayName.length() > 100) {
            throw new InvalidFieldException("displayName", "must be 1-100 characters");
        }
        if (provider == null || !PROVIDER.matcher(provider).matches()) {
            throw new InvalidFieldException("provider", "must be 1-32 lowercase letters, digits or '-', starting with a letter");
        }
        require("location", location);
        require("zone", zone);
        require("status", status);
        require("endpoints", endpoints);
        require("capacity", capacity);
        regimes = regimes == null || regimes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(regimes));
        for (ComplianceRegime regime : regimes) {
            regime.residencyZone().filter(required -> required != zone).ifPresent(required -> {
                throw new InvalidFieldException("regimes",
                        regime + " keeps data in zone " + required + ", but the region is in zone " + zone);
            });
        }
        labels = labels == null ? Map.of() : Map.copyOf(new TreeMap<>(labels));
        labels.forEach((key, value) -> {
            if (!LABEL_KEY.matcher(key).matches()) {
                throw new InvalidFieldException("labels", "key '" + key + "' is not a valid label key");
            }
            if (!LABEL_VALUE.matcher(value).matches()) {
                throw new InvalidFieldException("labels." + key, "is not a valid label value");
            }
        });
    }

    private static void require(String field, Object value) {
        if (value == null) {
            throw new InvalidFieldException(field, "must be present");
        }
    }

    /** This region with another status, if the lifecycle allows the move. */
    public Region withStatus(RegionStatus next) {
        IllegalTransitionException.check(id, status, next);
        return new Region(id, displayName, provider, location, zone, regimes, next, endpoints, capacity, labels);
    }

    /** Whether data localised by {@code regime} may be held here. */
    public boolean mayHold(ComplianceRegime regime) {
        return regime.residencyZone().map(required -> required == zone).orElse(true);
    }
}
