package io.meridian.region.placement;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.ComplianceRegime;
import io.meridian.common.region.ResidencyZone;

/**
 * What a service needs from a region.
 *
 * @param service     the service's name (Kubernetes name syntax)
 * @param zone        the residency zone its data must stay in, if any
 * @param regimes     compliance regimes its data is tagged with; each localising regime pins the zone
 * @param minCapacity the capacity a region must have at least
 * @param labels      labels a region must carry with these values
 */
public record ServiceRequirements(String service, @Nullable ResidencyZone zone, Set<ComplianceRegime> regimes, Capacity minCapacity,
        Map<String, String> labels) {

    public ServiceRequirements {
        if (service == null || !service.matches("[a-z]([a-z0-9-]{0,61}[a-z0-9])?")) {
            throw new InvalidFieldException("service", "must be a DNS-1123 label: 1-63 lowercase letters, digits or '-'");
        }
        regimes = regimes == null || regimes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(regimes));
        minCapacity = minCapacity == null ? new Capacity(0, 0) : minCapacity;
        labels = labels == null ? Map.of() : Map.copyOf(new TreeMap<>(labels));
        ResidencyZone pinned = null;
        for (ComplianceRegime regime : regimes) {
            ResidencyZone required = regime.residencyZone().orElse(null);
            if (required == null) {
                continue;
            }
            if (pinned != null && pinned != required) {
                throw new InvalidFieldException("regimes", "pin the data to two zones (" + pinned + " and " + required
                        + "); no region can hold it");
            }
            pinned = required;
            if (zone != null && zone != required) {
                throw new InvalidFieldException("zone", regime + " data must stay in zone " + required + ", not " + zone);
            }
        }
    }

    /** The zone the data is pinned to: the declared zone or the one a localising regime requires. */
    public @Nullable ResidencyZone effectiveZone() {
        if (zone != null) {
            return zone;
        }
        return regimes.stream().flatMap(regime -> regime.residencyZone().stream()).findFirst().orElse(null);
    }
}
