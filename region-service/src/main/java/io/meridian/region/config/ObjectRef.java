package io.meridian.region.config;

import tools.jackson.databind.JsonNode;

/**
 * One Kubernetes object of a release, by kind and name (the namespace is the release's).
 *
 * @param kind the kind
 * @param name {@code metadata.name}
 */
public record ObjectRef(ManifestKind kind, String name) {

    /** The reference of a rendered manifest (its apiVersion and kind must be supported). */
    public static ObjectRef of(JsonNode manifest) {
        ManifestKind kind = ManifestKind.of(manifest.path("apiVersion").asString(""), manifest.path("kind").asString(""))
                .orElseThrow(() -> new IllegalArgumentException("unsupported manifest " + manifest.path("apiVersion") + " " + manifest.path("kind")));
        return new ObjectRef(kind, manifest.path("metadata").path("name").asString(""));
    }

    @Override
    public String toString() {
        return kind.kind() + "/" + name;
    }
}
