package io.meridian.backup.topology;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;

/**
 * The managed regions and the residency rule: data of a region is copied to and restored into
 * regions of the same residency zone only (a backup of EU data never leaves the EU zone).
 */
@Component
public class RegionTopology {

    private final Map<String, RegionSettings> regions;

    public RegionTopology(BackupProperties properties) {
        this.regions = new TreeMap<>(properties.regions());
        regions.keySet().forEach(RegionId::of);
    }

    /** The region's settings; 400 naming {@code field} if the id is malformed or unknown. */
    public RegionSettings require(String field, String id) {
        if (id == null || !RegionId.isValid(id)) {
            throw new InvalidFieldException(field, "must be a region id such as eu-west-1");
        }
        RegionSettings settings = regions.get(id);
        if (settings == null) {
            throw new InvalidFieldException(field, "unknown region '" + id + "'; known regions: " + String.join(", ", regions.keySet()));
        }
        return settings;
    }

    public Optional<RegionSettings> find(String id) {
        return Optional.ofNullable(regions.get(id));
    }

    public Map<String, RegionSettings> all() {
        return Map.copyOf(regions);
    }

    public ResidencyZone zone(String id) {
        return require("region", id).zone();
    }

    /** Whether data of {@code zone} may be stored in {@code region}. */
    public boolean allowed(ResidencyZone zone, String region) {
        return find(region).map(r -> r.zone() == zone).orElse(false);
    }

    /** Throws a 409 residency problem naming {@code field} unless {@code target} is in {@code zone}. */
    public void requireAllowed(String field, ResidencyZone zone, String target) {
        RegionSettings settings = require(field, target);
        if (settings.zone() != zone) {
            throw BackupProblems.residency(field, "region " + target + " is in zone " + settings.zone() + "; this data must stay in zone "
                    + zone);
        }
    }

    /** {@code candidates} ordered by great-circle distance from {@code target}, the target itself first. */
    public List<String> byDistanceFrom(String target, List<String> candidates) {
        RegionSettings to = require("targetRegion", target);
        return candidates.stream().sorted(Comparator.comparingDouble((String c) -> c.equals(target) ? -1
                : find(c).map(from -> distanceKm(from, to)).orElse(Double.MAX_VALUE)).thenComparing(c -> c)).toList();
    }

    static double distanceKm(RegionSettings a, RegionSettings b) {
        double p1 = Math.toRadians(a.latitude());
        double p2 = Math.toRadians(b.latitude());
        double dp = p2 - p1;
        double dl = Math.toRadians(b.longitude() - a.longitude());
        double h = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
        return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
    }
}
