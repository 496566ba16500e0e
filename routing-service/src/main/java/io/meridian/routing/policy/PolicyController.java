package io.meridian.routing.policy;

import java.net.URI;
import java.util.List;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.routing.engine.PolicyDocument;
import io.meridian.routing.engine.SafetyRules;
import io.meridian.routing.engine.StoredPolicy;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;

/**
 * {@code /api/v1/routing/policies}: one routing policy per service. Reads carry the version as a strong
 * ETag; replacing or deleting needs it back in {@code If-Match} (428 without, 412 when stale). Changes
 * that break a safety rule are refused with 409 and the reason.
 */
@RestController
@RequestMapping("/api/v1/routing/policies")
@Tag(name = "policies", description = "Routing policies: ordered geographic, latency, health and weighted rules per service")
class PolicyController {

    private final PolicyService policies;
    private final AuditLog audit;

    PolicyController(PolicyService policies, AuditLog audit) {
        this.policies = policies;
        this.audit = audit;
    }

    @GetMapping
    @Operation(summary = "Every routing policy")
    List<PolicyDocument> list() {
        return policies.list().stream().map(p -> PolicyDocument.of(p.policy(), p.version())).toList();
    }

    @GetMapping("/{service}")
    @Operation(summary = "One service's policy; the ETag is its version")
    ResponseEntity<PolicyDocument> get(@PathVariable String service) {
        return withVersion(ResponseEntity.ok(), policies.get(service));
    }

    @PostMapping
    @Operation(summary = "Create a service's policy (operator). Give the reason in X-Meridian-Reason")
    ResponseEntity<PolicyDocument> create(@RequestBody PolicyDocument document,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        StoredPolicy stored = audited("routing.policy.create", document.service(), document, reason, () -> policies.create(document, reason));
        return withVersion(ResponseEntity.created(URI.create("/api/v1/routing/policies/" + stored.policy().service())), stored);
    }

    @PutMapping("/{service}")
    @Operation(summary = "Replace a service's policy (operator); needs If-Match")
    ResponseEntity<PolicyDocument> replace(@PathVariable String service, @RequestBody PolicyDocument document,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        long expected = required(ifMatch);
        return withVersion(ResponseEntity.ok(), audited("routing.policy.update", service, document, reason,
                () -> policies.update(service, document, expected, reason)));
    }

    @PutMapping("/{service}/weights")
    @Operation(summary = "Shift traffic: replace the weights of a WEIGHTED rule (operator or rollout); needs If-Match. "
            + "Body: {\"rule\": <index, default the first WEIGHTED rule>, \"weights\": {\"<region>\": <percent>}}")
    ResponseEntity<PolicyDocument> weights(@PathVariable String service, @RequestBody PolicyService.WeightsChange change,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        long expected = required(ifMatch);
        return withVersion(ResponseEntity.ok(), audited("routing.policy.weights", service, change, reason,
                () -> policies.setWeights(service, change, expected, reason)));
    }

    @DeleteMapping("/{service}")
    @PreAuthorize("hasRole('admin')")
    @Operation(summary = "Delete a service's policy (admin); needs If-Match. The service stops being routed")
    ResponseEntity<Void> delete(@PathVariable String service,
            @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) @Nullable String ifMatch,
            @RequestHeader(name = AuditLog.REASON_HEADER, required = false) @Nullable String reason) {
        policies.delete(service, required(ifMatch), reason);
        return ResponseEntity.noContent().build();
    }

    /**
     * Runs a change; a safety-rule rejection is audited with its reason (the change's own transaction
     * rolled back, so the record is written on its own) and rethrown.
     */
    private StoredPolicy audited(String action, @Nullable String service, @Nullable Object document, @Nullable String reason,
            java.util.function.Supplier<StoredPolicy> change) {
        try {
            return change.get();
        } catch (MeridianException e) {
            if (e.type().equals(SafetyRules.PROBLEM)) {
                audit.record(action, "policy/" + service, reason, AuditRecord.Outcome.REJECTED, e.getMessage(), null, document);
            }
            throw e;
        }
    }

    private static ResponseEntity<PolicyDocument> withVersion(ResponseEntity.BodyBuilder builder, StoredPolicy stored) {
        return builder.eTag(stored.etag()).body(PolicyDocument.of(stored.policy(), stored.version()));
    }

    /** The version in a required {@code If-Match} (strong ETag {@code "3"}); 428 when missing. */
    static long required(@Nullable String ifMatch) {
        if (ifMatch == null || ifMatch.isBlank()) {
            throw new MeridianException(ProblemTypes.PRECONDITION_REQUIRED, 428, "Precondition required",
                    "This write needs If-Match with the ETag of the version you read (for example If-Match: \"3\")");
        }
        String value = ifMatch.trim();
        if (value.matches("\"[0-9]{1,18}\"")) {
            return Long.parseLong(value.substring(1, value.length() - 1));
        }
        throw new InvalidFieldException("If-Match", "must be one strong ETag as returned by the API, like \"3\"");
    }
}
