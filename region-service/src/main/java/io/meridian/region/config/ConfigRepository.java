package io.meridian.region.config;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.meridian.common.region.RegionId;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** Templates and value layers in the region schema; every write checks the version it expects. */
@Repository
class ConfigRepository {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    ConfigRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    Optional<StoredTemplate> template(String service, boolean lock) {
        return jdbc.sql("SELECT service, body, version, updated_at, updated_by FROM config_templates WHERE service = :service"
                        + (lock ? " FOR UPDATE" : ""))
                .param("service", service).query(this::mapTemplate).optional();
    }

    boolean insertTemplate(String service, ServiceTemplate template, Instant now, String actor) {
        return jdbc.sql("""
                INSERT INTO config_templates (service, body, version, created_at, updated_at, updated_by)
                VALUES (:service, CAST(:body AS jsonb), 1, :now, :now, :actor) ON CONFLICT (service) DO NOTHING
                """).param("service", service).param("body", json.writeValueAsString(template)).param("now", Timestamp.from(now))
                .param("actor", actor).update() == 1;
    }

    boolean updateTemplate(String service, ServiceTemplate template, long expected, Instant now, String actor) {
        return jdbc.sql("""
                UPDATE config_templates SET body = CAST(:body AS jsonb), version = version + 1, updated_at = :now, updated_by = :actor
                WHERE service = :service AND version = :expected
                """).param("service", service).param("body", json.writeValueAsString(template)).param("now", Timestamp.from(now))
                .param("actor", actor).param("expected", expected).update() == 1;
    }

    boolean deleteTemplate(String service, long expected) {
        return jdbc.sql("DELETE FROM config_templates WHERE service = :service AND version = :expected")
                .param("service", service).param("expected", expected).update() == 1;
    }

    Optional<StoredLayer> layer(LayerKey key, boolean lock) {
        return jdbc.sql("SELECT * FROM config_values WHERE layer = :layer" + (lock ? " FOR UPDATE" : ""))
                .param("layer", key.id()).query(this::mapLayer).optional();
    }

    /** The layers that apply to {@code service} in {@code region}, in any order. */
    List<StoredLayer> layersFor(String service, RegionId region) {
        return jdbc.sql("SELECT * FROM config_values WHERE layer IN (:layers)")
                .param("layers", layerIds(service, region))
                .query(this::mapLayer).list();
    }

    /** The ids of the four layers {@code service} renders with in {@code region}. */
    private static List<String> layerIds(String service, RegionId region) {
        return List.of(LayerKey.defaults().id(), LayerKey.service(service).id(), LayerKey.region(region).id(),
                LayerKey.override(service, region).id());
    }

    /** What rendering {@code service} for {@code region} reads: its stored template (if any) and its layers. */
    record RenderInputs(Optional<StoredTemplate> template, List<StoredLayer> layers) {
    }

    /** {@link #template} and {@link #layersFor} in one round trip (every region run of a deployment renders once). */
    RenderInputs renderInputs(String service, RegionId region) {
        List<StoredTemplate> templates = new ArrayList<>(1);
        List<StoredLayer> layers = new ArrayList<>(4);
        jdbc.sql("""
                SELECT 'TEMPLATE' AS scope, service, CAST(NULL AS text) AS region, body, version, updated_at, updated_by
                FROM config_templates WHERE service = :service
                UNION ALL
                SELECT scope, service, region, body, version, updated_at, updated_by FROM config_values WHERE layer IN (:layers)
                """).param("service", service)
                .param("layers", layerIds(service, region))
                .query((rs, row) -> "TEMPLATE".equals(rs.getString("scope")) ? templates.add(mapTemplate(rs, row)) : layers.add(mapLayer(rs, row)))
                .list();
        return new RenderInputs(templates.stream().findFirst(), layers);
    }

    /** Every layer, optionally only those of {@code service} and/or {@code region}. */
    List<StoredLayer> layers(@Nullable String service, @Nullable RegionId region) {
        return jdbc.sql("""
                SELECT * FROM config_values
                WHERE (CAST(:service AS text) IS NULL OR service = :service) AND (CAST(:region AS text) IS NULL OR region = :region)
                ORDER BY CASE scope WHEN 'DEFAULTS' THEN 0 WHEN 'SERVICE' THEN 1 WHEN 'REGION' THEN 2 ELSE 3 END, layer
                """).param("service", service).param("region", region == null ? null : region.value()).query(this::mapLayer).list();
    }

    boolean insertLayer(LayerKey key, JsonNode values, Instant now, String actor) {
        return jdbc.sql("""
                INSERT INTO config_values (layer, scope, service, region, body, version, created_at, updated_at, updated_by)
                VALUES (:layer, :scope, :service, :region, CAST(:body AS jsonb), 1, :now, :now, :actor) ON CONFLICT (layer) DO NOTHING
                """).param("layer", key.id()).param("scope", key.scope().name()).param("service", key.service())
                .param("region", key.region() == null ? null : key.region().value()).param("body", json.writeValueAsString(values))
                .param("now", Timestamp.from(now)).param("actor", actor).update() == 1;
    }

    boolean updateLayer(LayerKey key, JsonNode values, long expected, Instant now, String actor) {
        return jdbc.sql("""
                UPDATE config_values SET body = CAST(:body AS jsonb), version = version + 1, updated_at = :now, updated_by = :actor
                WHERE layer = :layer AND version = :expected
                """).param("layer", key.id()).param("body", json.writeValueAsString(values)).param("now", Timestamp.from(now))
                .param("actor", actor).param("expected", expected).update() == 1;
    }

    boolean deleteLayer(LayerKey key, long expected) {
        return jdbc.sql("DELETE FROM config_values WHERE layer = :layer AND version = :expected")
                .param("layer", key.id()).param("expected", expected).update() == 1;
    }

    private StoredTemplate mapTemplate(ResultSet rs, int row) throws SQLException {
        return new StoredTemplate(rs.getString("service"), json.readValue(rs.getString("body"), ServiceTemplate.class), rs.getLong("version"),
                rs.getTimestamp("updated_at").toInstant(), rs.getString("updated_by"));
    }

    private StoredLayer mapLayer(ResultSet rs, int row) throws SQLException {
        String region = rs.getString("region");
        LayerKey key = new LayerKey(LayerKey.Scope.valueOf(rs.getString("scope")), rs.getString("service"),
                region == null ? null : RegionId.of(region));
        return new StoredLayer(key, json.readTree(rs.getString("body")), rs.getLong("version"), rs.getTimestamp("updated_at").toInstant(),
                rs.getString("updated_by"));
    }
}
