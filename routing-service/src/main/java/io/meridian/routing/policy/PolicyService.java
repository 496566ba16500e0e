package io.meridian.routing.policy;

import java.time.Instant;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.routing.engine.PolicyDocument;
import io.meridian.routing.engine.PolicyValidator;
import io.meridian.routing.engine.RoutingPolicy;
import io.meridian.routing.engine.SafetyRules;
import io.meridian.routing.engine.StoredPolicy;
import io.meridian.routing.inputs.InputsChanged;
import io.meridian.routing.inputs.RegionDirectory;
import io.meridian.routing.table.RoutingTables;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Operator changes to routing policies. Each change is validated (400 naming every invalid field),
 * checked against the version the caller read (412), passed through the {@link SafetyRules} under the
 * current inputs (409 with the reason), persisted and audited in one transaction; after commit every
 * routing table is recompiled and the changed ones published.
 */
@Service
class PolicyService {

    private final PolicyRepository repository;
    private final RoutingTables tables;
    private final AuditLog audit;
    private final ApplicationEventPublisher changes;
    private final PolicyValidator validator;

    PolicyService(PolicyRepository repository, RoutingTables tables, AuditLog audit, ApplicationEventPublisher changes,
            RegionDirectory directory) {
        this.repository = repository;
        this.tables = tables;
        this.audit = audit;
        this.changes = changes;
        this.validator = new PolicyValidator(id -> directory.get(id).isPresent());
    }

    List<StoredPolicy> list() {
        return repository.findAll();
    }

    StoredPolicy get(String service) {
        return repository.find(service).orElseThrow(() -> MeridianException.notFound("routing policy", service));
    }

    @Transactional
    StoredPolicy create(PolicyDocument document, @Nullable String reason) {
        RoutingPolicy policy = validator.validate(document);
        Instant now = Instant.now();
        SafetyRules.enforce(policy.service(), tables.safety(new StoredPolicy(policy, 1, now, now), null));
        if (!repository.insert(policy, now)) {
            throw new MeridianException(ProblemTypes.ALREADY_EXISTS, 409, "Routing policy exists",
                    "Service '" + policy.service() + "' has a routing policy already; replace it with PUT and If-Match")
                    .with("service", policy.service());
        }
        StoredPolicy stored = repository.find(policy.service()).orElseThrow();
        audit.record("routing.policy.create", target(policy.service()), reason, AuditRecord.Outcome.SUCCEEDED, null, null,
                PolicyDocument.of(policy, stored.version()));
        changed(policy.service(), stored, "created");
        return stored;
    }

    @Transactional
    StoredPolicy update(String service, PolicyDocument document, long expectedVersion, @Nullable String reason) {
        if (document.service() != null && !document.service().equals(service)) {
            throw new InvalidFieldException("service", "must match the service in the path ('" + service + "')");
        }
        RoutingPolicy policy = validator.validate(new PolicyDocument(service, document.description(), document.regions(),
                document.residencyZones(), document.rules(), document.fallback(), null));
        StoredPolicy current = lockAt(service, expectedVersion);
        Instant now = Instant.now();
        SafetyRules.enforce(service, tables.safety(new StoredPolicy(policy, current.version() + 1, current.createdAt(), now), current));
        if (!repository.update(policy, expectedVersion, now)) {
            throw stale(service, expectedVersion, current.version());
        }
        StoredPolicy stored = repository.find(service).orElseThrow();
        audit.record("routing.policy.update", target(service), reason, AuditRecord.Outcome.SUCCEEDED, null,
                PolicyDocument.of(current.policy(), current.version()), PolicyDocument.of(policy, stored.version()));
        changed(service, stored, "updated");
        return stored;
    }

    /**
     * Replaces the weights of one WEIGHTED rule (by default the first), as rollouts and operators shift
     * traffic; validated and safety-checked like any other change.
     */
    @Transactional
    StoredPolicy setWeights(String service, WeightsChange change, long expectedVersion, @Nullable String reason) {
        StoredPolicy current = lockAt(service, expectedVersion);
        PolicyDocument document = PolicyDocument.of(current.policy(), null);
        List<PolicyDocument.RuleDocument> rules = new java.util.ArrayList<>(document.rules());
        int index = -1;
        if (change.rule() != null) {
            if (change.rule() < 0 || change.rule() >= rules.size() || !"WEIGHTED".equals(rules.get(change.rule()).type())) {
                throw new InvalidFieldException("rule", "must be the index of a WEIGHTED rule of " + service);
            }
            index = change.rule();
        } else {
            for (int i = 0; i < rules.size() && index < 0; i++) {
                if ("WEIGHTED".equals(rules.get(i).type())) {
                    index = i;
                }
            }
            if (index < 0) {
                throw new InvalidFieldException("rule", service + " has no WEIGHTED rule");
            }
        }
        if (change.weights() == null || change.weights().isEmpty()) {
            throw new InvalidFieldException("weights", "must name at least one region");
        }
        PolicyDocument.RuleDocument rule = rules.get(index);
        rules.set(index, new PolicyDocument.RuleDocument(rule.type(), rule.healthThreshold(), rule.maxLatencyMillis(), rule.countries(),
                rule.zones(), change.weights(), rule.minHealthyWeight()));
        RoutingPolicy policy;
        try {
            policy = validator.validate(new PolicyDocument(service, document.description(), document.regions(), document.residencyZones(),
                    rules, document.fallback(), null));
        } catch (MeridianException e) {
            throw renamed(e, "rules[" + index + "].weights", "weights");
        }
        Instant now = Instant.now();
        SafetyRules.enforce(service, tables.safety(new StoredPolicy(policy, current.version() + 1, current.createdAt(), now), current));
        if (!repository.update(policy, expectedVersion, now)) {
            throw stale(service, expectedVersion, current.version());
        }
        StoredPolicy stored = repository.find(service).orElseThrow();
        audit.record("routing.policy.weights", target(service), reason, AuditRecord.Outcome.SUCCEEDED, "rule " + index,
                PolicyDocument.of(current.policy(), current.version()), PolicyDocument.of(policy, stored.version()));
        changed(service, stored, "weights changed");
        return stored;
    }

    /**
     * A weights change.
     *
     * @param rule    index of the WEIGHTED rule in the policy; default the first WEIGHTED rule
     * @param weights region id to percent, 0.1 % steps, summing to exactly 100
     */
    record WeightsChange(@Nullable Integer rule, java.util.@Nullable Map<String, java.math.BigDecimal> weights) {
    }

    private static MeridianException renamed(MeridianException e, String from, String to) {
        if (!e.properties().containsKey("errors")) {
            return e;
        }
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, String>> errors = (List<java.util.Map<String, String>>) e.properties().get("errors");
        return PolicyValidator.invalid(errors.stream().map(m -> new io.meridian.common.problem.Problems.FieldError(
                m.get("field").replace(from, to), m.get("reason"))).toList());
    }

    @Transactional
    void delete(String service, long expectedVersion, @Nullable String reason) {
        StoredPolicy current = lockAt(service, expectedVersion);
        if (!repository.delete(service, expectedVersion)) {
            throw stale(service, expectedVersion, current.version());
        }
        audit.record("routing.policy.delete", target(service), reason, AuditRecord.Outcome.SUCCEEDED, null,
                PolicyDocument.of(current.policy(), current.version()), null);
        changes.publishEvent(InputsChanged.stored("policy " + service + " deleted"));
    }

    private void changed(String service, StoredPolicy stored, String what) {
        changes.publishEvent(InputsChanged.stored("policy " + service + " " + what + " (version " + stored.version() + ")"));
    }

    private StoredPolicy lockAt(String service, long expectedVersion) {
        StoredPolicy current = repository.lock(service).orElseThrow(() -> MeridianException.notFound("routing policy", service));
        if (current.version() != expectedVersion) {
            throw stale(service, expectedVersion, current.version());
        }
        return current;
    }

    private static MeridianException stale(String service, long expected, long current) {
        return MeridianException.preconditionFailed("The policy of " + service + " is at version " + current + ", not " + expected
                + "; read it again and retry").with("currentVersion", current).with("expectedVersion", expected);
    }

    private static String target(String service) {
        return "policy/" + service;
    }
}
