package io.meridian.region.deployment;

import java.net.URI;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;

/**
 * How to reach one region's Kubernetes API: its URL and, when the region names one, its kubeconfig
 * context (used instead of the URL when the adapter is configured to prefer contexts).
 *
 * @param region  the region
 * @param apiUrl  the API server URL ({@code endpoints.kubernetesApi})
 * @param context the kubeconfig context ({@code endpoints.kubernetesContext}), if any
 */
public record ClusterTarget(RegionId region, URI apiUrl, @Nullable String context) {

    /** The target of a registered region. */
    public static ClusterTarget of(Region region) {
        return new ClusterTarget(region.id(), region.endpoints().kubernetesApi(), region.endpoints().kubernetesContext());
    }
}
