package io.meridian.region.deployment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.region.config.ConfigService;
import io.meridian.region.config.ManifestDiff;
import io.meridian.region.config.ManifestKind;
import io.meridian.region.config.ObjectRef;
import io.meridian.region.config.Rendered;
import io.meridian.region.config.ServiceName;
import io.meridian.region.registry.RegionRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What runs where: the deployed revision of each service in each region with its status read from
 * the cluster now, and the preview of a release (the rendered objects and what applying them would
 * change in the cluster). Regions are read in parallel; one that cannot be reached says so in its
 * entry and does not hold the others up.
 */
@Service
public class Releases {

    private final DeploymentRepository repository;
    private final RegionRegistry registry;
    private final ConfigService config;
    private final Clusters clusters;
    private final DeploymentProperties properties;
    private final ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor();

    Releases(DeploymentRepository repository, RegionRegistry registry, ConfigService config, Clusters clusters,
            DeploymentProperties properties) {
        this.repository = repository;
        this.registry = registry;
        this.config = config;
        this.clusters = clusters;
        this.properties = properties;
    }

    /**
     * A service's release in a region.
     *
     * @param service   the service
     * @param region    the region
     * @param revision  the deployed revision
     * @param version   its version
     * @param deployedBy the deployment that made it
     * @param ready     whether the cluster reports it rolled out (null when the cluster could not be read)
     * @param reason    the rollout reason read from the cluster ({@code RolloutComplete}, {@code WaitingForReplicas}, ...)
     * @param message   for people
     * @param cluster   the status read from the cluster: per Deployment its generation, observedGeneration, replicas, conditions
     */
    public record Release(String service, RegionId region, int revision, String version, java.util.UUID deployedBy, @Nullable Boolean ready,
            String reason, String message, @Nullable JsonNode cluster) {
    }

    /** The deployed releases, optionally only of {@code service} and/or in {@code region}, each with its live status. */
    public List<Release> releases(@Nullable String service, @Nullable RegionId region) {
        if (service != null) {
            ServiceName.require("service", service);
        }
        if (region != null) {
            registry.get(region);
        }
        List<Revision> deployed = repository.deployed(service, region);
        Map<RegionId, Region> regions = new HashMap<>();
        registry.list(null, null).forEach(r -> regions.put(r.region().id(), r.region()));
        List<CompletableFuture<Release>> futures = new ArrayList<>();
        for (Revision revision : deployed) {
            futures.add(CompletableFuture.supplyAsync(() -> live(revision, regions.get(revision.region())), readers));
        }
        return futures.stream().map(CompletableFuture::join).toList();
    }

    private Release live(Revision revision, @Nullable Region region) {
        if (region == null) {
            return new Release(revision.service(), revision.region(), revision.revision(), revision.version(), revision.deploymentId(), null,
                    "RegionNotRegistered", "the region is not registered any more", null);
        }
        List<ObjectNode> objects = new ArrayList<>();
        repository.revisionManifests(revision.service(), revision.region(), revision.revision())
                .ifPresent(list -> list.forEach(node -> objects.add((ObjectNode) node)));
        try {
            List<RolloutStatus> statuses = new ArrayList<>();
            for (ObjectNode object : objects) {
                ObjectRef ref = ObjectRef.of(object);
                if (ref.kind() == ManifestKind.DEPLOYMENT) {
                    int fallback = objects.stream().filter(o -> ObjectRef.of(o).kind() == ManifestKind.HORIZONTAL_POD_AUTOSCALER)
                            .map(o -> o.path("spec").path("minReplicas").asInt(1)).findFirst().orElse(1);
                    statuses.add(RolloutStatus.of(clusters.get(ClusterTarget.of(region), properties.namespace(), ref).orElse(null), ref.name(),
                            fallback));
                }
            }
            RolloutStatus status = RolloutStatus.combine(statuses);
            return new Release(revision.service(), revision.region(), revision.revision(), revision.version(), revision.deploymentId(),
                    status.phase() == RolloutStatus.Phase.READY, status.reason(), status.message(), status.snapshot());
        } catch (ClusterException e) {
            return new Release(revision.service(), revision.region(), revision.revision(), revision.version(), revision.deploymentId(), null,
                    e.failure().reason(), e.getMessage(), null);
        }
    }

    /**
     * A preview: the rendering and, per object, what applying it would change in the cluster now.
     *
     * @param rendered the rendering
     * @param objects  per object: CREATE, UPDATE (with the fields and the JSON patch), UNCHANGED; DELETE for objects no longer rendered
     */
    public record Preview(Rendered rendered, List<ManifestDiff.ObjectDiff> objects) {
    }

    /** Renders {@code service} at {@code version} (else the deployed version) for {@code region}. */
    public Rendered render(String service, RegionId region, @Nullable String version) {
        return config.render(service, region, version(service, region, version), properties.namespace());
    }

    /** Renders and compares with what runs in the region's cluster; 503 when the cluster cannot be read. */
    public Preview diff(String service, RegionId region, @Nullable String version) {
        Rendered rendered = render(service, region, version);
        ClusterTarget target = ClusterTarget.of(registry.get(region).region());
        try {
            List<ManifestDiff.ObjectDiff> diffs = new ArrayList<>();
            java.util.Set<ObjectRef> wanted = new java.util.HashSet<>();
            for (ObjectNode object : rendered.manifests()) {
                ObjectRef ref = ObjectRef.of(object);
                wanted.add(ref);
                diffs.add(ManifestDiff.diff(object, clusters.get(target, properties.namespace(), ref).orElse(null)));
            }
            for (JsonNode live : clusters.listManaged(target, properties.namespace(), service)) {
                ManifestKind.of(live.path("apiVersion").asString(""), live.path("kind").asString(""))
                        .map(kind -> new ObjectRef(kind, live.path("metadata").path("name").asString()))
                        .filter(ref -> !wanted.contains(ref))
                        .ifPresent(ref -> diffs.add(new ManifestDiff.ObjectDiff(ref, ManifestDiff.Action.DELETE, List.of(),
                                tools.jackson.databind.node.JsonNodeFactory.instance.arrayNode())));
            }
            return new Preview(rendered, diffs);
        } catch (ClusterException e) {
            throw new io.meridian.common.problem.MeridianException(io.meridian.common.problem.ProblemTypes.UNAVAILABLE, 503,
                    "Cluster unavailable", "Cannot read what runs in " + region + ": " + e.getMessage(), e)
                    .with("region", region.value()).with("reason", e.failure().reason());
        }
    }

    private String version(String service, RegionId region, @Nullable String version) {
        if (version != null) {
            return version;
        }
        return repository.deployed(ServiceName.require("service", service), region).stream().findFirst().map(Revision::version)
                .orElseThrow(() -> new io.meridian.common.problem.InvalidFieldException("version",
                        "is required: " + service + " runs in no version in " + region + " yet"));
    }
}
