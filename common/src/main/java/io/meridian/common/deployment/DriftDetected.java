package io.meridian.common.deployment;

import java.time.Instant;
import java.util.List;

import io.meridian.common.region.RegionId;

/**
 * Data of a drift event on {@code meridian.rollout-events} (keyed by {@code <service>/<region>}): an
 * object of a deployed release was changed outside Meridian, and what was done about it.
 *
 * @param service  the service
 * @param region   the region
 * @param revision the deployed revision the object should match
 * @param object   the object ({@code Deployment/checkout})
 * @param fields   the fields that differ ({@code spec.template.spec.containers[0].image}), or {@code (deleted)}
 * @param policy   {@code correct} or {@code report}
 * @param action   {@code CORRECTED}, {@code REPORTED} or {@code CORRECTION_FAILED}
 * @param at       when it was found
 */
public record DriftDetected(String service, RegionId region, int revision, String object, List<String> fields, String policy, String action,
        Instant at) {
}
