package io.meridian.region.config;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.RegionId;
import io.meridian.support.audit.AuditLog;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import tools.jackson.databind.JsonNode;

/**
 * {@code /api/v1/deployments/config}: service templates and value layers. Writes are PUTs: without
 * {@code If-Match} they create (428 if the document exists), with it they replace the version read
 * (412 when stale). Reads carry the version as a strong ETag.
 */
@RestController
@RequestMapping("/api/v1/deployments/config")
@Tag(name = "configuration", description = "Service templates and layered values (defaults < service < region < override)")
class ConfigController {

    private final ConfigService config;

    ConfigController(ConfigService config) {
        this.config = config;
    }

    /**
     * A template as served.
     *
     * @param service   the service ({@code null} for the standard template)
     * @param standard  whether this is the built-in standard template
     * @param manifests the manifests with their placeholders
     * @param version   the stored version (0 for the standard template)
     * @param updatedAt when it last changed
     * @param updatedBy who changed it
     */
    record TemplateView(@Nullable String service, boolean standard, List<JsonNode> manifests, long version, @Nullable Instant updatedAt,
            @Nullable String updatedBy) {
    }

    /**
     * A value layer as served.
     *
     * @param layer     its id ({@code defaults}, {@code service/checkout}, {@code region/eu-west-1}, {@code override/checkout/eu-west-1})
     * @param scope     DEFAULTS, SERVICE, REGION or OVERRIDE
     * @param service   the service it belongs to, if any
     * @param region    the region it belongs to, if any
     * @param values    the values
     * @param version   its version (the ETag)
     * @param updatedAt when it last changed
     * @param updatedBy who changed it
     */
    record LayerView(String layer, LayerKey.Scope scope, @Nullable String service, @Nullable RegionId region, JsonNode values,
            long version, Instant updatedAt, String updatedBy) {

        static LayerView of(StoredLayer layer) {
            return new LayerView(layer.key().id(), layer.key().scope(), layer.key().service(), layer.key().region(), layer.values(),
                    layer.version(), layer.updatedAt(), layer.updatedBy());
        }
    }

    @GetMapping("/templates/standard")
    @Operation(summary = "The built-in template every service renders with until it stores its own")
    TemplateView standard() {
        return new TemplateView(null, true, config.standardTemplate().manifests(), 0, null, null);
    }

    @GetMapping("/services/{service}/template")
    @Operation(summary = "A service's stored template (404 if it uses the standard one)")
    ResponseEntity<TemplateView> template(@PathVariable String service) {
        StoredTemplate stored = config.template(service)
                .orElseThrow(() -> io.meridian.common.problem.MeridianException.notFound("template of service", service)
                        .with("hint", "the service renders with the standard template: GET /api/v1/deployments/config/templates/standard"));
        return ResponseEntity.ok().eTag(stored.etag()).body(view(stored));
    }

    @PutMapping("/services/{service}/template")
    @Operation(summary = "Create (no If-Match) or replace (If-Match) a service's template: {\"manifests\": [...]}")
    ResponseEntity<TemplateView> putTemplate(@PathVariable String service, @RequestBody JsonNode body,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        ServiceName.require("service", service);
        JsonNode manifests = body.get("manifests");
        if (manifests == null || !manifests.isArray()) {
            throw new InvalidFieldException("manifests", "must be a list of Kubernetes objects");
        }
        List<JsonNode> list = new ArrayList<>();
        manifests.forEach(list::add);
        Long expected = ETags.optional(ifMatch);
        StoredTemplate stored = config.putTemplate(service, new ServiceTemplate(list), expected, reason);
        ResponseEntity.BodyBuilder response = expected == null
                ? ResponseEntity.created(URI.create("/api/v1/deployments/config/services/" + service + "/template"))
                : ResponseEntity.ok();
        return response.eTag(stored.etag()).body(view(stored));
    }

    @DeleteMapping("/services/{service}/template")
    @Operation(summary = "Remove a service's template (it renders with the standard one again); needs If-Match")
    ResponseEntity<Void> deleteTemplate(@PathVariable String service,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        config.deleteTemplate(service, ETags.required(ifMatch), reason);
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/values")
    @Operation(summary = "Stored value layers, optionally only those of a service and/or a region")
    List<LayerView> layers(@RequestParam(required = false) @Nullable String service, @RequestParam(required = false) @Nullable RegionId region) {
        return config.layers(service, region).stream().map(LayerView::of).toList();
    }

    @GetMapping("/values/defaults")
    @Operation(summary = "The defaults layer")
    ResponseEntity<LayerView> defaults() {
        return get(LayerKey.defaults());
    }

    @PutMapping("/values/defaults")
    @Operation(summary = "Replace the defaults layer (If-Match): {\"values\": {...}}")
    ResponseEntity<LayerView> putDefaults(@RequestBody JsonNode body,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return put(LayerKey.defaults(), body, ifMatch, reason);
    }

    @GetMapping("/values/services/{service}")
    @Operation(summary = "A service's values (every region)")
    ResponseEntity<LayerView> serviceValues(@PathVariable String service) {
        return get(LayerKey.service(ServiceName.require("service", service)));
    }

    @PutMapping("/values/services/{service}")
    @Operation(summary = "Create or replace a service's values: {\"values\": {...}}")
    ResponseEntity<LayerView> putServiceValues(@PathVariable String service, @RequestBody JsonNode body,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return put(LayerKey.service(ServiceName.require("service", service)), body, ifMatch, reason);
    }

    @DeleteMapping("/values/services/{service}")
    @Operation(summary = "Remove a service's values; needs If-Match")
    ResponseEntity<Void> deleteServiceValues(@PathVariable String service,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return delete(LayerKey.service(ServiceName.require("service", service)), ifMatch, reason);
    }

    @GetMapping("/values/regions/{region}")
    @Operation(summary = "A region's values (every service), for example its image registry")
    ResponseEntity<LayerView> regionValues(@PathVariable RegionId region) {
        return get(LayerKey.region(region));
    }

    @PutMapping("/values/regions/{region}")
    @Operation(summary = "Create or replace a region's values: {\"values\": {\"image\": {\"registry\": \"registry.eu-west-1.local:5000\"}}}")
    ResponseEntity<LayerView> putRegionValues(@PathVariable RegionId region, @RequestBody JsonNode body,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return put(LayerKey.region(region), body, ifMatch, reason);
    }

    @DeleteMapping("/values/regions/{region}")
    @Operation(summary = "Remove a region's values; needs If-Match")
    ResponseEntity<Void> deleteRegionValues(@PathVariable RegionId region,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return delete(LayerKey.region(region), ifMatch, reason);
    }

    @GetMapping("/values/services/{service}/regions/{region}")
    @Operation(summary = "The explicit override of a service in a region")
    ResponseEntity<LayerView> overrideValues(@PathVariable String service, @PathVariable RegionId region) {
        return get(LayerKey.override(ServiceName.require("service", service), region));
    }

    @PutMapping("/values/services/{service}/regions/{region}")
    @Operation(summary = "Create or replace the explicit override of a service in a region (wins over every other layer)")
    ResponseEntity<LayerView> putOverrideValues(@PathVariable String service, @PathVariable RegionId region, @RequestBody JsonNode body,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return put(LayerKey.override(ServiceName.require("service", service), region), body, ifMatch, reason);
    }

    @DeleteMapping("/values/services/{service}/regions/{region}")
    @Operation(summary = "Remove the override of a service in a region; needs If-Match")
    ResponseEntity<Void> deleteOverrideValues(@PathVariable String service, @PathVariable RegionId region,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        return delete(LayerKey.override(ServiceName.require("service", service), region), ifMatch, reason);
    }

    private ResponseEntity<LayerView> get(LayerKey key) {
        StoredLayer layer = config.layer(key);
        return ResponseEntity.ok().eTag(layer.etag()).body(LayerView.of(layer));
    }

    private ResponseEntity<LayerView> put(LayerKey key, JsonNode body, @Nullable String ifMatch, @Nullable String reason) {
        if (!body.isObject()) {
            throw new InvalidFieldException("values", "send {\"values\": {...}}");
        }
        Long expected = ETags.optional(ifMatch);
        StoredLayer stored = config.putLayer(key, body.get("values"), expected, reason);
        return ResponseEntity.status(expected == null ? HttpStatus.CREATED : HttpStatus.OK).eTag(stored.etag()).body(LayerView.of(stored));
    }

    private ResponseEntity<Void> delete(LayerKey key, @Nullable String ifMatch, @Nullable String reason) {
        config.deleteLayer(key, ETags.required(ifMatch), reason);
        return ResponseEntity.noContent().build();
    }

    private static TemplateView view(StoredTemplate stored) {
        return new TemplateView(stored.service(), false, stored.template().manifests(), stored.version(), stored.updatedAt(),
                stored.updatedBy());
    }
}
