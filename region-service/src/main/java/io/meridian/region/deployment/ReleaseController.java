package io.meridian.region.deployment;

import java.net.URI;
import java.util.List;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.RegionId;
import io.meridian.region.config.Manifests;
import io.meridian.region.config.Rendered;
import io.meridian.region.config.ServiceName;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * What runs where, its live status, revisions and rollback; drift findings; the preview of a
 * release (rendered objects and the diff against the cluster) before anything is applied.
 */
@RestController
@Tag(name = "releases", description = "Deployed releases per service and region, revisions, rollback, drift and previews")
class ReleaseController {

    private final Releases releases;
    private final Deployments deployments;
    private final DriftWatcher drift;

    ReleaseController(Releases releases, Deployments deployments, DriftWatcher drift) {
        this.releases = releases;
        this.deployments = deployments;
        this.drift = drift;
    }

    /**
     * A rollback request.
     *
     * @param reason     why; recorded in the audit log and the events
     * @param toRevision the revision to go back to; by default the one before the newest
     */
    record RollbackRequest(@NotBlank @Size(max = 500) String reason, @Nullable Integer toRevision) {
    }

    /**
     * One release with its revisions.
     *
     * @param release   the deployed release with its live status (null if none is deployed)
     * @param revisions every revision, newest first
     */
    record ReleaseDetail(Releases.@Nullable Release release, List<Revision> revisions) {
    }

    @GetMapping("/api/v1/deployments/releases")
    @Operation(summary = "What runs where: the deployed revision of each service in each region, with its status read from the cluster now")
    List<Releases.Release> releases(@RequestParam(required = false) @Nullable String service,
            @RequestParam(required = false) @Nullable RegionId region) {
        return releases.releases(service, region);
    }

    @GetMapping("/api/v1/deployments/releases/{service}/{region}")
    @Operation(summary = "A service in a region: its live release and every revision")
    ReleaseDetail release(@PathVariable String service, @PathVariable RegionId region) {
        ServiceName.require("service", service);
        List<Revision> revisions = deployments.revisions(service, region);
        if (revisions.isEmpty()) {
            throw io.meridian.common.problem.MeridianException.notFound("release of " + service + " in region", region.value());
        }
        return new ReleaseDetail(releases.releases(service, region).stream().findFirst().orElse(null), revisions);
    }

    @PostMapping("/api/v1/deployments/releases/{service}/{region}/rollback")
    @Operation(summary = "Roll a service in a region back to its previous revision, or to toRevision (operator)")
    ResponseEntity<DeploymentController.DeploymentView> rollback(@PathVariable String service, @PathVariable RegionId region,
            @Valid @RequestBody RollbackRequest request) {
        Deployment deployment = deployments.rollback(service, region, request.toRevision(), request.reason());
        return ResponseEntity.accepted().location(URI.create("/api/v1/deployments/" + deployment.id())).eTag(deployment.etag())
                .body(DeploymentController.DeploymentView.of(deployment));
    }

    @GetMapping("/api/v1/deployments/drift")
    @Operation(summary = "Out-of-band changes found in the clusters and what was done about them, newest first")
    List<DriftWatcher.Finding> drift(@RequestParam(required = false) @Nullable String service,
            @RequestParam(required = false) @Nullable RegionId region, @RequestParam(defaultValue = "100") int limit) {
        if (service != null) {
            ServiceName.require("service", service);
        }
        if (limit < 1 || limit > 1000) {
            throw new InvalidFieldException("limit", "must be from 1 to 1000");
        }
        return drift.findings(service, region, limit);
    }

    @GetMapping("/api/v1/deployments/config/services/{service}/regions/{region}/rendered")
    @Operation(summary = "The objects a release of the service would consist of in the region (format=json or yaml); "
            + "version defaults to the deployed one")
    ResponseEntity<?> rendered(@PathVariable String service, @PathVariable RegionId region,
            @RequestParam(required = false) @Nullable String version, @RequestParam(defaultValue = "json") String format) {
        Rendered rendered = releases.render(ServiceName.require("service", service), region, version);
        return switch (format) {
            case "json" -> ResponseEntity.ok(rendered);
            case "yaml" -> ResponseEntity.ok().contentType(MediaType.parseMediaType("application/yaml"))
                    .body(Manifests.yaml(rendered.manifests()));
            default -> throw new InvalidFieldException("format", "must be json or yaml");
        };
    }

    @GetMapping("/api/v1/deployments/config/services/{service}/regions/{region}/diff")
    @Operation(summary = "What deploying the version would change in the region's cluster now, per object and field, "
            + "with the JSON patch that would be sent")
    Releases.Preview diff(@PathVariable String service, @PathVariable RegionId region,
            @RequestParam(required = false) @Nullable String version) {
        return releases.diff(ServiceName.require("service", service), region, version);
    }
}
