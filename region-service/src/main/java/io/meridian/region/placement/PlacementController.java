package io.meridian.region.placement;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.ComplianceRegime;
import io.meridian.common.region.ResidencyZone;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.region.registry.RegisteredRegion;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/** {@code /api/v1/placements}: which regions may run a service, and why the others may not. */
@RestController
@Tag(name = "placements", description = "Explainable placement of services into regions")
class PlacementController {

    private final RegionRegistry registry;

    PlacementController(RegionRegistry registry) {
        this.registry = registry;
    }

    @GetMapping("/api/v1/placements")
    @Operation(summary = "Regions that may run a service, and for every excluded region, why. "
            + "Example: ?service=checkout&regime=GDPR&minCpu=8&label=tier:gold")
    Placement.Result place(@RequestParam String service, @RequestParam(required = false) @Nullable String zone,
            @RequestParam(name = "regime", required = false) @Nullable List<String> regimes,
            @RequestParam(defaultValue = "0") int minCpu, @RequestParam(defaultValue = "0") int minMemoryGib,
            @RequestParam(name = "label", required = false) @Nullable List<String> labels) {
        ServiceRequirements needs = new ServiceRequirements(service,
                zone == null ? null : ResidencyZone.parse("zone", zone),
                regimes == null ? Set.of() : parseRegimes(regimes),
                capacity(minCpu, minMemoryGib),
                parseLabels(labels));
        return Placement.evaluate(needs, registry.list(null, null).stream().map(RegisteredRegion::region).toList());
    }

    private static Capacity capacity(int cpu, int memory) {
        try {
            return new Capacity(cpu, memory);
        } catch (InvalidFieldException e) {
            throw new InvalidFieldException(e.field().equals("cpuCores") ? "minCpu" : "minMemoryGib", e.reason());
        }
    }

    private static Set<ComplianceRegime> parseRegimes(List<String> names) {
        Set<ComplianceRegime> regimes = new java.util.HashSet<>();
        for (int i = 0; i < names.size(); i++) {
            regimes.add(ComplianceRegime.parse("regime[" + i + "]", names.get(i)));
        }
        return regimes;
    }

    private static Map<String, String> parseLabels(@Nullable List<String> labels) {
        Map<String, String> parsed = new HashMap<>();
        if (labels == null) {
            return parsed;
        }
        for (int i = 0; i < labels.size(); i++) {
            String label = labels.get(i);
            int colon = label.indexOf(':');
            if (colon <= 0 || colon == label.length() - 1) {
                throw new InvalidFieldException("label[" + i + "]", "must be key:value");
            }
            parsed.put(label.substring(0, colon), label.substring(colon + 1));
        }
        return parsed;
    }
}
