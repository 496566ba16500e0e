package io.meridian.routing.inputs;

import java.util.List;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.region.RegionId;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code /api/v1/routing/latency}: measured client round-trip times that replace the great-circle estimate. */
@RestController
@Tag(name = "latency", description = "Measured round-trip times from a country's clients to a region")
class LatencyController {

    private final MeasuredLatencies latencies;

    LatencyController(MeasuredLatencies latencies) {
        this.latencies = latencies;
    }

    @GetMapping("/api/v1/routing/latency")
    @Operation(summary = "Every measured country-to-region round-trip time")
    List<MeasuredLatencies.Measurement> list() {
        return latencies.all();
    }

    @PutMapping("/api/v1/routing/latency/{country}/{region}")
    @Operation(summary = "Record the measured round-trip time from a country's clients to a region (operator or probe)")
    MeasuredLatencies.Measurement record(@PathVariable String country, @PathVariable RegionId region,
            @RequestBody MeasuredLatencies.Report report) {
        return latencies.record(country, region, report);
    }

    @DeleteMapping("/api/v1/routing/latency/{country}/{region}")
    @Operation(summary = "Forget a measurement; the pair falls back to the great-circle estimate")
    ResponseEntity<Void> remove(@PathVariable String country, @PathVariable RegionId region) {
        latencies.remove(country, region);
        return ResponseEntity.noContent().build();
    }
}
