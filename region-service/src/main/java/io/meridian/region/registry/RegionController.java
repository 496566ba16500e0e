package io.meridian.region.registry;

import java.net.URI;
import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code /api/v1/regions}: register and read regions. */
@RestController
@RequestMapping("/api/v1/regions")
@Tag(name = "regions", description = "The region registry")
class RegionController {

    private final RegionRegistry registry;

    RegionController(RegionRegistry registry) {
        this.registry = registry;
    }

    @GetMapping
    @Operation(summary = "All registered regions")
    List<Region> list() {
        return registry.list().stream().map(RegisteredRegion::region).toList();
    }

    @GetMapping("/{id}")
    @Operation(summary = "One region; the ETag is its version")
    ResponseEntity<Region> get(@PathVariable RegionId id) {
        RegisteredRegion region = registry.get(id);
        return ResponseEntity.ok().eTag(region.etag()).body(region.region());
    }

    @PostMapping
    @Operation(summary = "Register a region (operator); give the reason in X-Meridian-Reason")
    ResponseEntity<Region> register(@RequestBody Region region) {
        RegisteredRegion registered = registry.register(region);
        return ResponseEntity.created(URI.create("/api/v1/regions/" + region.id())).eTag(registered.etag()).body(registered.region());
    }
}
