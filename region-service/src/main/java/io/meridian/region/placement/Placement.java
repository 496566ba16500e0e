package io.meridian.region.placement;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.meridian.common.region.ComplianceRegime;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;

/**
 * Decides which regions may run a service and explains every exclusion. Pure: no I/O, the same
 * answer for the same inputs. Residency comes first and nothing overrides it: a service whose data
 * is tagged with a localising regime (GDPR, LGPD, ...) is never placed outside that regime's zone.
 */
public final class Placement {

    private Placement() {
    }

    /** Why a region was excluded: a stable code for tools and a sentence for people. */
    public record Reason(String code, String message) {
    }

    /** A region that may not run the service, with every reason. */
    public record Exclusion(RegionId region, List<Reason> reasons) {
    }

    /**
     * The answer.
     *
     * @param service      the service
     * @param residencyZone the zone its data is pinned to, if any
     * @param eligible     regions that may run it, by id
     * @param excluded     regions that may not, each with its reasons
     */
    public record Result(String service, ResidencyZone residencyZone, List<RegionId> eligible, List<Exclusion> excluded) {
    }

    /** Evaluates every region against the requirements. */
    public static Result evaluate(ServiceRequirements needs, List<Region> regions) {
        List<RegionId> eligible = new ArrayList<>();
        List<Exclusion> excluded = new ArrayList<>();
        ResidencyZone zone = needs.effectiveZone();
        for (Region region : regions.stream().sorted((a, b) -> a.id().compareTo(b.id())).toList()) {
            List<Reason> reasons = new ArrayList<>();
            if (zone != null && region.zone() != zone) {
                reasons.add(new Reason("residency", "data of " + needs.service() + " must stay in zone " + zone + "; "
                        + region.id() + " is in zone " + region.zone()));
            }
            for (ComplianceRegime regime : needs.regimes()) {
                if (!region.regimes().contains(regime)) {
                    reasons.add(new Reason("compliance", region.id() + " is not certified for " + regime));
                }
            }
            if (!region.status().acceptsNewTraffic()) {
                reasons.add(new Reason("status", region.id() + " is " + region.status() + " and takes no new workloads"));
            }
            if (!region.capacity().covers(needs.minCapacity())) {
                reasons.add(new Reason("capacity", region.id() + " has " + region.capacity().cpuCores() + " cores and "
                        + region.capacity().memoryGib() + " GiB; at least " + needs.minCapacity().cpuCores() + " cores and "
                        + needs.minCapacity().memoryGib() + " GiB are needed"));
            }
            for (Map.Entry<String, String> label : needs.labels().entrySet()) {
                String actual = region.labels().get(label.getKey());
                if (!label.getValue().equals(actual)) {
                    reasons.add(new Reason("label", region.id() + " has " + label.getKey() + "="
                            + (actual == null ? "(none)" : actual) + ", " + label.getValue() + " is needed"));
                }
            }
            if (reasons.isEmpty()) {
                eligible.add(region.id());
            } else {
                excluded.add(new Exclusion(region.id(), List.copyOf(reasons)));
            }
        }
        return new Result(needs.service(), zone, List.copyOf(eligible), List.copyOf(excluded));
    }
}
