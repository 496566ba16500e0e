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

    @PostMapping("/{id}/{action:drain|maintenance|activate|degrade|fail|recover}")
    @Operation(summary = "Move the region through its lifecycle with a reason: drain (-> DRAINING, no new sessions), "
            + "maintenance (-> MAINTENANCE), activate (-> ACTIVE), degrade (-> DEGRADED), fail (-> FAILED), "
            + "recover (FAILED -> DEGRADED). If-Match is optional; 409 lists the allowed moves")
    ResponseEntity<Region> act(@PathVariable RegionId id, @PathVariable String action, @Valid @RequestBody StatusChangeRequest request,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch) {
        RegionRegistry.StatusChange result = registry.changeStatus(id, LifecycleAction.fromPath(action), request.reason(),
                Versions.optional(ifMatch));
        return withVersion(ResponseEntity.ok(), result.region());
    }

    private static ResponseEntity<Region> withVersion(ResponseEntity.BodyBuilder builder, RegisteredRegion region) {
        return builder.eTag(region.etag()).body(region.region());
    }
}
