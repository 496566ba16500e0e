package io.meridian.region.registry;

import java.net.URI;
import java.util.List;

import jakarta.validation.Valid;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.support.audit.AuditLog;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * {@code /api/v1/regions}: the region registry. Reads carry the version as a strong ETag; replacing
 * or removing a region needs it back in {@code If-Match} (428 without, 412 when stale). Status moves
 * only through the lifecycle actions, each with a reason.
 */
@RestController
@RequestMapping("/api/v1/regions")
@Tag(name = "regions", description = "The region registry and region lifecycle")
class RegionController {

    private final RegionRegistry registry;

    RegionController(RegionRegistry registry) {
        this.registry = registry;
    }

    @GetMapping
    @Operation(summary = "Registered regions, optionally filtered by status or zone")
    List<Region> list(@RequestParam(required = false) @Nullable RegionStatus status,
            @RequestParam(required = false) @Nullable ResidencyZone zone) {
        return registry.list(status, zone).stream().map(RegisteredRegion::region).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "One region; the ETag is its version")
    ResponseEntity<Region> get(@PathVariable RegionId id) {
        return withVersion(ResponseEntity.ok(), registry.get(id));
    }

    @PostMapping
    @Operation(summary = "Register a region (operator); it starts ACTIVE or MAINTENANCE. Give the reason in X-Meridian-Reason")
    ResponseEntity<Region> register(@RequestBody Region region,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        RegisteredRegion registered = registry.register(region, reason);
        return withVersion(ResponseEntity.created(URI.create("/api/v1/regions/" + region.id())), registered);
    }

    @PutMapping("/{id}")
    @Operation(summary = "Replace a region's description (operator); needs If-Match. Status changes go through the actions")
    ResponseEntity<Region> update(@PathVariable RegionId id, @RequestBody Region region,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return withVersion(ResponseEntity.ok(), registry.update(id, region, Versions.required(ifMatch), reason));
    }

    @DeleteMapping("/{id}")
    @PreAuthorize("hasRole('admin')")
    @Operation(summary = "Remove a region in MAINTENANCE or FAILED (admin); needs If-Match")
    ResponseEntity<Void> deregister(@PathVariable RegionId id,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        registry.deregister(id, Versions.required(ifMatch), reason);
        return ResponseEntity.noContent().build();
    }

    @PostMapping("/{id}/drain")
    @Operation(summary = "Stop new sessions in the region; existing ones finish (ACTIVE or DEGRADED -> DRAINING)")
    ResponseEntity<Region> drain(@PathVariable RegionId id, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        return change(id, RegionStatus.DRAINING, "region.drain", request, ifMatch);
    }

    @PostMapping("/{id}/maintenance")
    @Operation(summary = "Take the region out of traffic for planned work (-> MAINTENANCE)")
    ResponseEntity<Region> maintenance(@PathVariable RegionId id, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        return change(id, RegionStatus.MAINTENANCE, "region.maintenance", request, ifMatch);
    }

    @PostMapping("/{id}/activate")
    @Operation(summary = "Return the region to full service (DEGRADED, DRAINING or MAINTENANCE -> ACTIVE)")
    ResponseEntity<Region> activate(@PathVariable RegionId id, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        return change(id, RegionStatus.ACTIVE, "region.activate", request, ifMatch);
    }

    @PostMapping("/{id}/degrade")
    @Operation(summary = "Mark the region degraded: it serves, routing prefers others (-> DEGRADED)")
    ResponseEntity<Region> degrade(@PathVariable RegionId id, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        return change(id, RegionStatus.DEGRADED, "region.degrade", request, ifMatch);
    }

    @PostMapping("/{id}/fail")
    @Operation(summary = "Declare the region failed: out of traffic until recovered (-> FAILED)")
    ResponseEntity<Region> fail(@PathVariable RegionId id, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        return change(id, RegionStatus.FAILED, "region.fail", request, ifMatch);
    }

    @PostMapping("/{id}/recover")
    @Operation(summary = "Start recovery of a failed region: it serves again, watched (FAILED -> DEGRADED); activate it afterwards")
    ResponseEntity<Region> recover(@PathVariable RegionId id, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        return change(id, RegionStatus.DEGRADED, "region.recover", request, ifMatch);
    }

    private ResponseEntity<Region> change(RegionId id, RegionStatus target, String action, StatusChangeRequest request,
            @Nullable String ifMatch) {
        if ("region.recover".equals(action) && registry.get(id).region().status() != RegionStatus.FAILED) {
            throw new io.meridian.common.region.IllegalTransitionException(id, registry.get(id).region().status(), RegionStatus.DEGRADED)
                    .with("hint", "recover applies to FAILED regions; use degrade or activate");
        }
        RegionRegistry.StatusChange result = registry.changeStatus(id, target, action, request.reason(), Versions.optional(ifMatch));
        return withVersion(ResponseEntity.ok(), result.region());
    }

    private static ResponseEntity<Region> withVersion(ResponseEntity.BodyBuilder builder, RegisteredRegion region) {
        return builder.eTag(region.etag()).body(region.region());
    }
}
