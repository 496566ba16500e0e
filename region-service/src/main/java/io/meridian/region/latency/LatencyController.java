package io.meridian.region.latency;

import java.util.List;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.region.RegionId;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** The latency matrix between regions. */
@RestController
@Tag(name = "latency", description = "Round-trip times between regions")
class LatencyController {

    private final LatencyMatrix matrix;

    LatencyController(LatencyMatrix matrix) {
        this.matrix = matrix;
    }

    @GetMapping("/api/v1/regions/latency")
    @Operation(summary = "Every ordered pair of regions with its round-trip time, measured or estimated from distance")
    List<LatencyMatrix.Entry> matrix() {
        return matrix.matrix();
    }

    @PutMapping("/api/v1/regions/{id}/latency/{to}")
    @Operation(summary = "Record a measured round-trip time from one region to another (operator or probe)")
    LatencyMatrix.Entry record(@PathVariable RegionId id, @PathVariable RegionId to, @RequestBody LatencyMatrix.Measurement measurement) {
        return matrix.record(id, to, measurement);
    }
}
