package io.meridian.region.config;

import java.util.List;
import java.util.SortedMap;

import io.meridian.common.region.RegionId;
import tools.jackson.databind.node.ObjectNode;

/**
 * A service's release rendered for one region: the Kubernetes objects to apply, in apply order.
 *
 * @param service   the service
 * @param region    the region
 * @param version   the version (image tag) rendered
 * @param namespace the namespace every object is in
 * @param manifests the objects, ConfigMaps first and Deployments before the objects that point at them
 * @param values    the merged values the objects were rendered from
 * @param sources   for each value path, the layer that set it ({@code defaults}, {@code region/eu-west-1}, ...)
 * @param checksum  SHA-256 of the objects, to tell renderings apart
 */
public record Rendered(String service, RegionId region, String version, String namespace, List<ObjectNode> manifests,
        ObjectNode values, SortedMap<String, String> sources, String checksum) {

    /** The references of the objects, in order. */
    public List<ObjectRef> refs() {
        return manifests.stream().map(ObjectRef::of).toList();
    }
}
