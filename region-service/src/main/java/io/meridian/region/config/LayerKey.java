package io.meridian.region.config;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.RegionId;

/**
 * Which value layer: the global defaults, one service's values, one region's values, or the explicit
 * override for one service in one region. Layers merge in the order of {@link Scope}.
 *
 * @param scope   the layer's scope
 * @param service the service, for SERVICE and OVERRIDE
 * @param region  the region, for REGION and OVERRIDE
 */
public record LayerKey(Scope scope, @Nullable String service, @Nullable RegionId region) {

    /** Scopes in merge order: each overrides the ones before it. */
    public enum Scope {
        /** Defaults for every service in every region. */
        DEFAULTS,
        /** One service, every region. */
        SERVICE,
        /** One region, every service (for example its image registry). */
        REGION,
        /** One service in one region: the explicit override. */
        OVERRIDE
    }

    public LayerKey {
        boolean needsService = scope == Scope.SERVICE || scope == Scope.OVERRIDE;
        boolean needsRegion = scope == Scope.REGION || scope == Scope.OVERRIDE;
        if (needsService != (service != null) || needsRegion != (region != null)) {
            throw new IllegalArgumentException("layer " + scope + " takes " + (needsService ? "a service" : "no service") + " and "
                    + (needsRegion ? "a region" : "no region"));
        }
        if (service != null) {
            ServiceName.require("service", service);
        }
    }

    public static LayerKey defaults() {
        return new LayerKey(Scope.DEFAULTS, null, null);
    }

    public static LayerKey service(String service) {
        return new LayerKey(Scope.SERVICE, service, null);
    }

    public static LayerKey region(RegionId region) {
        return new LayerKey(Scope.REGION, null, region);
    }

    public static LayerKey override(String service, RegionId region) {
        return new LayerKey(Scope.OVERRIDE, service, region);
    }

    /** Stable id: {@code defaults}, {@code service/checkout}, {@code region/eu-west-1}, {@code override/checkout/eu-west-1}. */
    public String id() {
        return switch (scope) {
            case DEFAULTS -> "defaults";
            case SERVICE -> "service/" + service;
            case REGION -> "region/" + region;
            case OVERRIDE -> "override/" + service + "/" + region;
        };
    }

    @Override
    public String toString() {
        return id();
    }
}
