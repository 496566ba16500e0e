package io.meridian.backup.topology;

import java.net.URI;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionEndpoints;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.support.region.RegionDirectory;

/**
 * The managed regions and the residency rule: data of a region is copied to and restored into
 * regions of the same residency zone only (a backup of EU data never leaves the EU zone).
 *
 * <p>Regions come from region-service's {@code meridian.region-events} topic ({@link RegionDirectory}):
 * zone, location, bucket and S3 endpoint, the primary database endpoint, the Kubernetes API. What
 * the registry does not carry (the database role backups connect as, the data root of physical
 * restores) comes from {@code meridian.backup.regions.<id>}; a region the topic has not (yet) told
 * about is taken from configuration alone, so the stack starts before region-service has published
 * anything. A region the topic removed is unknown, whatever the configuration says.
 */
@Component
public class RegionTopology {

    private static final Logger log = LoggerFactory.getLogger(RegionTopology.class);

    private final Map<String, RegionSettings> configured;
    private final RegionDirectory directory;
    private final BackupProperties properties;

    @Autowired
    public RegionTopology(BackupProperties properties, RegionDirectory directory) {
        this.configured = new TreeMap<>(properties.regions());
        this.directory = directory;
        this.properties = properties;
        configured.keySet().forEach(RegionId::of);
    }

    /** Regions from configuration only (tools and benchmarks without Kafka). */
    public RegionTopology(BackupProperties properties) {
        this(properties, new RegionDirectory());
    }

    /** The region's settings; 400 naming {@code field} if the id is malformed or unknown. */
    public RegionSettings require(String field, String id) {
        if (id == null || !RegionId.isValid(id)) {
            throw new InvalidFieldException(field, "must be a region id such as eu-west-1");
        }
        return find(id).orElseThrow(() -> new InvalidFieldException(field, "unknown region '" + id + "'; known regions: "
                + String.join(", ", all().keySet())));
    }

    public Optional<RegionSettings> find(String id) {
        if (id == null || !RegionId.isValid(id)) {
            return Optional.empty();
        }
        RegionId regionId = RegionId.of(id);
        Optional<Region> registered = directory.get(regionId);
        if (registered.isPresent()) {
            try {
                return Optional.of(fromRegistry(registered.get(), configured.get(id)));
            } catch (RuntimeException e) {
                log.warn("Region {} from {} cannot be used for backups: {}", id, io.meridian.common.events.Topics.REGION_EVENTS, e.getMessage());
                return Optional.empty();
            }
        }
        if (directory.removed(regionId)) {
            return Optional.empty();
        }
        return Optional.ofNullable(configured.get(id));
    }

    /** Every known region: the registry's, and the configured ones the registry has not told about. */
    public Map<String, RegionSettings> all() {
        Map<String, RegionSettings> all = new TreeMap<>();
        configured.keySet().forEach(id -> find(id).ifPresent(settings -> all.put(id, settings)));
        directory.all().forEach(region -> find(region.id().value()).ifPresent(settings -> all.put(region.id().value(), settings)));
        return all;
    }

    /** A registered region as backups see it, with what only configuration knows filled in from {@code local}. */
    RegionSettings fromRegistry(Region region, @Nullable RegionSettings local) {
        RegionEndpoints endpoints = region.endpoints();
        RegionEndpoints.DatabaseEndpoint database = endpoints.databases().stream()
                .filter(d -> d.role() == RegionEndpoints.DatabaseRole.PRIMARY).findFirst()
                .or(() -> endpoints.databases().stream().findFirst()).orElse(null);
        String host;
        int port;
        if (database != null) {
            URI url = URI.create(database.jdbcUrl().substring("jdbc:".length()));
            host = url.getHost();
            port = url.getPort() > 0 ? url.getPort() : 5432;
        } else if (local != null) {
            host = local.databaseHost();
            port = local.databasePort();
        } else {
            throw new IllegalStateException("it has no database endpoint");
        }
        Path dataRoot = local != null && local.dataRoot() != null ? local.dataRoot()
                : properties.dataRoot() != null ? properties.dataRoot().resolve(region.id().value()) : null;
        return new RegionSettings(region.zone(), region.location().latitude(), region.location().longitude(), host, port,
                local != null ? local.databaseUser() : "postgres", endpoints.objectStore().bucket(), endpoints.objectStore().endpoint(),
                endpoints.kubernetesApi(), dataRoot);
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
