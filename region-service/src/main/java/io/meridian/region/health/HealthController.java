package io.meridian.region.health;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.RegionId;
import io.meridian.region.registry.RegionRegistry;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** Health scores per region. */
@RestController
@Tag(name = "health", description = "Health score per region from active and passive observations")
class HealthController {

    private final HealthScores scores;
    private final RegionRegistry registry;

    HealthController(HealthScores scores, RegionRegistry registry) {
        this.scores = scores;
        this.registry = registry;
    }

    @GetMapping("/api/v1/regions/health")
    @Operation(summary = "Health score of every observed region")
    List<HealthScores.Health> all() {
        return scores.all();
    }

    @GetMapping("/api/v1/regions/{id}/health")
    @Operation(summary = "Health score of one region (404 if nothing observed it yet)")
    HealthScores.Health of(@PathVariable RegionId id) {
        registry.get(id);
        return scores.of(id).orElseThrow(() -> MeridianException.notFound("health observation of region", id.value()));
    }
}
