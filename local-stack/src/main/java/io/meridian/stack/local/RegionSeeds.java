package io.meridian.stack.local;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import io.meridian.common.region.Region;
import io.meridian.common.region.RegionEndpoints;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The simulated regions, read from {@code seeds/regions.json} on the class path. Each seed's
 * {@code region} member is validated against the {@link Region} model when loaded, so a seed that
 * region-service would reject fails the launcher at once; the ports the local stack uses for a
 * region are read from the seed's own endpoints, so they are written down once.
 */
public final class RegionSeeds {

    /** Class-path location of the region seeds. */
    public static final String REGIONS_RESOURCE = "/seeds/regions.json";
    /** Class-path location of the routing rule seeds (not consumed yet). */
    public static final String ROUTING_RULES_RESOURCE = "/seeds/routing-rules.json";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private RegionSeeds() {
    }

    /**
     * One simulated region.
     *
     * @param region         the validated model
     * @param body           the exact JSON body to register it with
     * @param postgresPort   its PostgreSQL port (from the database's JDBC URL)
     * @param appPort        its sample app's port (from the ingress URL)
     * @param kubernetesPort its Kubernetes API port (from the Kubernetes API URL)
     * @param bucket         its bucket
     * @param standbyOf      the region whose database this region's database streams from, if any
     * @param slot           the replication slot on that primary, if a standby
     * @param imageRegistry  the image registry this region pulls from (the stack sets it as the region's deployment values)
     */
    public record Seed(Region region, JsonNode body, int postgresPort, int appPort, int kubernetesPort, String bucket,
            @Nullable String standbyOf, @Nullable String slot, String imageRegistry) {

        /** The region id. */
        public String id() {
            return region.id().value();
        }

        /** The kubeconfig context name of the region. */
        public String kubernetesContext() {
            String context = region.endpoints().kubernetesContext();
            return context == null ? id() : context;
        }

        /** Whether the region's database is a streaming standby. */
        public boolean isStandby() {
            return standbyOf != null;
        }
    }

    /** Loads and validates the region seeds. */
    public static List<Seed> load() {
        JsonNode root = read(REGIONS_RESOURCE);
        List<Seed> seeds = new ArrayList<>();
        for (JsonNode entry : root.path("regions")) {
            JsonNode body = entry.get("region");
            Region region;
            try {
                region = JSON.treeToValue(body, Region.class);
            } catch (JacksonException e) {
                throw new IllegalStateException("seed " + body.path("id").asString("?") + " in " + REGIONS_RESOURCE
                        + " is not a valid region: " + e.getOriginalMessage(), e);
            }
            JsonNode local = entry.path("local");
            RegionEndpoints endpoints = region.endpoints();
            RegionEndpoints.DatabaseEndpoint database = endpoints.databases().stream()
                    .filter(d -> d.name().equals("app")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("seed " + region.id() + " has no database named app"));
            String standbyOf = text(local, "standbyOf").orElse(null);
            if ((standbyOf != null) != (database.role() == RegionEndpoints.DatabaseRole.STANDBY)) {
                throw new IllegalStateException("seed " + region.id() + ": local.standbyOf must be set exactly when the database role is STANDBY");
            }
            seeds.add(new Seed(region, body, port(URI.create(database.jdbcUrl().substring("jdbc:".length()))),
                    port(endpoints.ingressUrl()), port(endpoints.kubernetesApi()), endpoints.objectStore().bucket(),
                    standbyOf, text(local, "replicationSlot").orElse(standbyOf == null ? null : region.id().value().replace('-', '_')),
                    text(local, "imageRegistry").orElse("registry." + region.id() + ".local:5000")));
        }
        if (seeds.isEmpty()) {
            throw new IllegalStateException(REGIONS_RESOURCE + " lists no regions");
        }
        return List.copyOf(seeds);
    }

    /** The routing policy seeds: each the body of a {@code POST /api/v1/routing/policies}. */
    public static List<JsonNode> routingPolicies() {
        JsonNode policies = read(ROUTING_RULES_RESOURCE).path("policies");
        if (!policies.isArray() || policies.isEmpty()) {
            throw new IllegalStateException(ROUTING_RULES_RESOURCE + " lists no policies");
        }
        return policies.valueStream().toList();
    }

    private static JsonNode read(String resource) {
        try (InputStream in = RegionSeeds.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the class path");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<String> text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asString());
    }

    private static int port(URI uri) {
        if (uri.getPort() < 0) {
            throw new IllegalStateException("seed URL " + uri + " names no port");
        }
        return uri.getPort();
    }
}
