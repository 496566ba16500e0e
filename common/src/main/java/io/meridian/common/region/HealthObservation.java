package io.meridian.common.region;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * One observation of a region's health, from an active prober (failover-service) or from passive
 * observation of live traffic (the gateway), published on {@code meridian.health-observations}
 * keyed by region.
 *
 * @param region        the region observed
 * @param observer      who observed it ({@code failover-service@us-east-1}, {@code gateway@eu-west-1})
 * @param healthy       whether the observation found it healthy
 * @param latencyMillis how long the probe or request took, if measured
 * @param observedAt    when
 * @param detail        what was seen ({@code HTTP 503}, {@code connect timeout})
 */
public record HealthObservation(RegionId region, String observer, boolean healthy, @Nullable Double latencyMillis,
        Instant observedAt, @Nullable String detail) {
}
