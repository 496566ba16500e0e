package io.meridian.region.config;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.region.RegionId;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import tools.jackson.databind.JsonNode;

/**
 * Templates and value layers: versioned writes (If-Match), audited with before and after in the same
 * transaction, and rendering of a service for a region from the stored template (or the
 * {@link ServiceTemplate#standard() standard one}) and the merged layers.
 */
@Service
public class ConfigService {

    /** Largest accepted value layer, serialised. */
    static final int MAX_LAYER_BYTES = 256 * 1024;

    private final ConfigRepository repository;
    private final RegionRegistry registry;
    private final AuditLog audit;
    private final Clock clock = Clock.systemUTC();
    private final ServiceTemplate standard = ServiceTemplate.standard();

    ConfigService(ConfigRepository repository, RegionRegistry registry, AuditLog audit) {
        this.repository = repository;
        this.registry = registry;
        this.audit = audit;
    }

    /** The built-in template. */
    public ServiceTemplate standardTemplate() {
        return standard;
    }

    /** The stored template of {@code service}, if it has one. */
    public Optional<StoredTemplate> template(String service) {
        return repository.template(ServiceName.require("service", service), false);
    }

    /** The template {@code service} renders with: its own, else the standard one. */
    public ServiceTemplate effectiveTemplate(String service) {
        return template(service).map(StoredTemplate::template).orElse(standard);
    }

    /** Creates (no {@code expectedVersion}) or replaces (at {@code expectedVersion}) the template of {@code service}. */
    @Transactional
    public StoredTemplate putTemplate(String service, ServiceTemplate template, @Nullable Long expectedVersion, @Nullable String reason) {
        ServiceName.require("service", service);
        Optional<StoredTemplate> current = repository.template(service, true);
        String what = "The template of " + service;
        if (expectedVersion == null) {
            if (current.isPresent()) {
                throw ETags.exists(what, current.get().version());
            }
            if (!repository.insertTemplate(service, template, clock.instant(), actor())) {
                throw ETags.exists(what, repository.template(service, false).map(StoredTemplate::version).orElse(0L));
            }
        } else if (current.isEmpty() || !repository.updateTemplate(service, template, expectedVersion, clock.instant(), actor())) {
            throw ETags.stale(what, expectedVersion, current.map(StoredTemplate::version).orElse(null));
        }
        StoredTemplate stored = repository.template(service, false).orElseThrow();
        audit.record(current.isEmpty() ? "config.template.create" : "config.template.update", "config/template/" + service, reason,
                AuditRecord.Outcome.SUCCEEDED, "version " + stored.version(), current.map(StoredTemplate::template).orElse(null), template);
        return stored;
    }

    /** Removes the template of {@code service} (it renders with the standard template again). */
    @Transactional
    public void deleteTemplate(String service, long expectedVersion, @Nullable String reason) {
        ServiceName.require("service", service);
        StoredTemplate current = repository.template(service, true)
                .orElseThrow(() -> MeridianException.notFound("template of service", service));
        if (!repository.deleteTemplate(service, expectedVersion)) {
            throw ETags.stale("The template of " + service, expectedVersion, current.version());
        }
        audit.record("config.template.delete", "config/template/" + service, reason, AuditRecord.Outcome.SUCCEEDED, null,
                current.template(), null);
    }

    /** One stored layer; 404 when it was never written (or its region is unknown). */
    public StoredLayer layer(LayerKey key) {
        requireRegion(key);
        return repository.layer(key, false).orElseThrow(() -> MeridianException.notFound("value layer", key.id()));
    }

    /** Every stored layer, optionally only those naming {@code service} and/or {@code region}. */
    public List<StoredLayer> layers(@Nullable String service, @Nullable RegionId region) {
        if (service != null) {
            ServiceName.require("service", service);
        }
        return repository.layers(service, region);
    }

    /** Creates (no {@code expectedVersion}) or replaces (at {@code expectedVersion}) a value layer. */
    @Transactional
    public StoredLayer putLayer(LayerKey key, @Nullable JsonNode values, @Nullable Long expectedVersion, @Nullable String reason) {
        if (values == null || values.isNull() || values.isMissingNode()) {
            throw new InvalidFieldException("values", "must be present: a JSON object of values (it may be empty)");
        }
        InvalidFieldsException.throwIfAny(ValueRules.check(values, "values"));
        if (values.toString().length() > MAX_LAYER_BYTES) {
            throw new InvalidFieldException("values", "must be at most " + MAX_LAYER_BYTES + " bytes of JSON");
        }
        requireRegion(key);
        Optional<StoredLayer> current = repository.layer(key, true);
        String what = "Value layer " + key.id();
        if (expectedVersion == null) {
            if (current.isPresent()) {
                throw ETags.exists(what, current.get().version());
            }
            if (!repository.insertLayer(key, values, clock.instant(), actor())) {
                throw ETags.exists(what, repository.layer(key, false).map(StoredLayer::version).orElse(0L));
            }
        } else if (current.isEmpty() || !repository.updateLayer(key, values, expectedVersion, clock.instant(), actor())) {
            throw ETags.stale(what, expectedVersion, current.map(StoredLayer::version).orElse(null));
        }
        StoredLayer stored = repository.layer(key, false).orElseThrow();
        audit.record(current.isEmpty() ? "config.values.create" : "config.values.update", "config/values/" + key.id(), reason,
                AuditRecord.Outcome.SUCCEEDED, "version " + stored.version(), current.map(StoredLayer::values).orElse(null), values);
        return stored;
    }

    /** Removes a value layer; the defaults cannot be removed, only replaced. */
    @Transactional
    public void deleteLayer(LayerKey key, long expectedVersion, @Nullable String reason) {
        if (key.scope() == LayerKey.Scope.DEFAULTS) {
            throw new MeridianException(ProblemTypes.of("defaults-required"), 409, "Defaults cannot be removed",
                    "Every rendering starts from the defaults; replace them instead");
        }
        StoredLayer current = repository.layer(key, true).orElseThrow(() -> MeridianException.notFound("value layer", key.id()));
        if (!repository.deleteLayer(key, expectedVersion)) {
            throw ETags.stale("Value layer " + key.id(), expectedVersion, current.version());
        }
        audit.record("config.values.delete", "config/values/" + key.id(), reason, AuditRecord.Outcome.SUCCEEDED, null, current.values(),
                null);
    }

    /** The values of {@code service} in {@code region}: defaults &lt; service &lt; region &lt; override. */
    public Values.Merged merged(String service, RegionId region) {
        return merge(repository.layersFor(ServiceName.require("service", service), region));
    }

    private static Values.Merged merge(List<StoredLayer> stored) {
        List<StoredLayer> layers = new ArrayList<>(stored);
        layers.sort(Comparator.comparing(layer -> layer.key().scope()));
        return Values.merge(layers.stream().map(layer -> new Values.Layer(layer.key().id(), layer.values())).toList());
    }

    /** Renders {@code service} at {@code version} for {@code region} into {@code namespace}; 404 for an unknown region. */
    public Rendered render(String service, RegionId region, String version, String namespace) {
        registry.get(region);
        return renderRegistered(service, region, version, namespace);
    }

    /** As {@link #render}, for a region the caller has just read from the registry. */
    public Rendered renderRegistered(String service, RegionId region, String version, String namespace) {
        ServiceName.require("service", service);
        Renderer.requireVersion(version);
        ConfigRepository.RenderInputs inputs = repository.renderInputs(service, region);
        return Renderer.render(inputs.template().map(StoredTemplate::template).orElse(standard), merge(inputs.layers()),
                new Renderer.Release(service, region, version, namespace));
    }

    private void requireRegion(LayerKey key) {
        if (key.region() != null) {
            registry.get(key.region());
        }
    }

    private static String actor() {
        Authentication caller = SecurityContextHolder.getContext().getAuthentication();
        return caller == null ? "system" : caller.getName();
    }
}
