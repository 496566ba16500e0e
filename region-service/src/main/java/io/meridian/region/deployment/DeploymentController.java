package io.meridian.region.deployment;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.region.RegionId;
import io.meridian.region.config.ETags;
import io.meridian.support.audit.AuditLog;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/v1/deployments}: deploy a service at a version to regions, follow each region's state
 * machine, retry failed regions.
 */
@RestController
@RequestMapping("/api/v1/deployments")
@Tag(name = "deployments", description = "Deployments of a service version to regions through each region's Kubernetes API")
class DeploymentController {

    private final Deployments deployments;

    DeploymentController(Deployments deployments) {
        this.deployments = deployments;
    }

    /**
     * A deployment request.
     *
     * @param service the service
     * @param version the version (image tag)
     * @param regions the region ids
     * @param reason  why (else {@code X-Meridian-Reason})
     */
    record DeployRequest(@Nullable String service, @Nullable String version, @Nullable List<String> regions, @Nullable String reason) {
    }

    /**
     * A request that needs a reason.
     *
     * @param reason why the operator acts; recorded in the audit log and the events
     */
    record ReasonRequest(@NotBlank @Size(max = 500) String reason) {
    }

    /**
     * A Kubernetes-style condition.
     *
     * @param type               {@code Ready}
     * @param status             True, False or Unknown
     * @param reason             CamelCase reason
     * @param message            for people
     * @param lastTransitionTime when the status last changed
     */
    record Condition(String type, String status, String reason, @Nullable String message, Instant lastTransitionTime) {
    }

    /**
     * One region of a deployment as served.
     *
     * @param region         the region
     * @param state          PENDING, APPLYING, ROLLING_OUT, SUCCEEDED or FAILED
     * @param reason         why it is in that state
     * @param message        for people
     * @param attempts       cluster call attempts so far
     * @param revision       the revision this run creates
     * @param sourceRevision for a rollback, the revision restored
     * @param applied        what applying did to each object
     * @param cluster        the workload status last read from the cluster
     * @param conditions     {@code Ready} as a Kubernetes-style condition
     * @param finishedAt     when it finished
     */
    record RegionView(RegionId region, RegionState state, String reason, @Nullable String message, int attempts,
            @Nullable Integer revision, @Nullable Integer sourceRevision, @Nullable JsonNode applied, @Nullable JsonNode cluster,
            List<Condition> conditions, @Nullable Instant finishedAt) {

        static RegionView of(RegionRun run) {
            String status = switch (run.state()) {
                case SUCCEEDED -> "True";
                case FAILED -> "False";
                default -> "Unknown";
            };
            return new RegionView(run.region(), run.state(), run.reason(), run.message(), run.attempts(), run.revision(),
                    run.sourceRevision(), run.applied(), run.cluster(),
                    List.of(new Condition("Ready", status, run.reason(), run.message(), run.transitionedAt())), run.finishedAt());
        }
    }

    /**
     * A deployment as served.
     *
     * @param id          its id
     * @param kind        DEPLOY or ROLLBACK
     * @param service     the service
     * @param version     the version
     * @param namespace   the Kubernetes namespace
     * @param state       RUNNING, SUCCEEDED, PARTIALLY_FAILED or FAILED
     * @param requestedBy who asked
     * @param reason      why
     * @param entityVersion its entity version (also the ETag)
     * @param createdAt   when it was asked for
     * @param updatedAt   when it last changed
     * @param finishedAt  when it finished
     * @param regions     each region's run
     */
    record DeploymentView(UUID id, DeploymentKind kind, String service, String version, String namespace, DeploymentState state,
            String requestedBy, @Nullable String reason, long entityVersion, Instant createdAt, Instant updatedAt,
            @Nullable Instant finishedAt, List<RegionView> regions) {

        static DeploymentView of(Deployment d) {
            return new DeploymentView(d.id(), d.kind(), d.service(), d.version(), d.namespace(), d.state(), d.requestedBy(), d.reason(),
                    d.entityVersion(), d.createdAt(), d.updatedAt(), d.finishedAt(), d.regions().stream().map(RegionView::of).toList());
        }
    }

    @PostMapping
    @Operation(summary = "Deploy a service at a version to regions (operator): {\"service\",\"version\",\"regions\":[...]}. "
            + "Answers 202 at once; follow it at the Location")
    ResponseEntity<DeploymentView> deploy(@RequestBody DeployRequest request,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reasonHeader) {
        Deployment deployment = deployments.deploy(request.service(), request.version(), request.regions(),
                request.reason() != null ? request.reason() : reasonHeader);
        return ResponseEntity.accepted().location(URI.create("/api/v1/deployments/" + deployment.id())).eTag(deployment.etag())
                .body(DeploymentView.of(deployment));
    }

    @GetMapping
    @Operation(summary = "Deployments, newest first, by service, region and/or state")
    List<DeploymentView> list(@RequestParam(required = false) @Nullable String service,
            @RequestParam(required = false) @Nullable RegionId region, @RequestParam(required = false) @Nullable DeploymentState state,
            @RequestParam(defaultValue = "50") int limit) {
        return deployments.list(service, region, state, limit).stream().map(DeploymentView::of).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "One deployment with each region's state, reason, attempts and cluster status")
    ResponseEntity<DeploymentView> get(@PathVariable UUID id) {
        Deployment deployment = deployments.get(id);
        return ResponseEntity.ok().eTag(deployment.etag()).body(DeploymentView.of(deployment));
    }

    @PostMapping("/{id}/retry")
    @Operation(summary = "Retry the failed regions of a deployment (operator); the others are left as they are")
    ResponseEntity<DeploymentView> retry(@PathVariable UUID id, @Valid @RequestBody ReasonRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        Deployment deployment = deployments.retry(id, ETags.optional(ifMatch), request.reason());
        return ResponseEntity.accepted().eTag(deployment.etag()).body(DeploymentView.of(deployment));
    }
}
