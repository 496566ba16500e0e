package io.meridian.backup.policy;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.backup.catalog.Backup;
import io.meridian.backup.catalog.BackupKind;
import io.meridian.backup.catalog.BackupRuns;
import io.meridian.backup.catalog.BackupRuns.RunSpec;
import io.meridian.backup.catalog.Catalog;
import io.meridian.backup.catalog.Retention;
import io.meridian.backup.catalog.Verification;
import io.meridian.backup.topology.Names;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.support.audit.AuditLog;

/** Creating, changing and running backup policies. */
@Service
public class Policies {

    private final PolicyRepository repository;
    private final Catalog catalog;
    private final BackupRuns runs;
    private final AuditLog audit;

    Policies(PolicyRepository repository, Catalog catalog, BackupRuns runs, AuditLog audit) {
        this.repository = repository;
        this.catalog = catalog;
        this.runs = runs;
        this.audit = audit;
    }

    /**
     * A new policy as requested.
     *
     * @param name                 unique name (lowercase letters, digits, -)
     * @param kind                 LOGICAL (default), PHYSICAL or KUBERNETES
     * @param region               source region
     * @param source               database name (namespace for KUBERNETES)
     * @param cron                 Spring cron expression, six fields with seconds first (e.g. {@code 0 0 2 * * *}), in UTC
     * @param retentionCount       keep at most this many backups (1-1000, default 7)
     * @param retentionMaxAge      ISO-8601 duration (default P30D)
     * @param copyTargets          other regions of the same residency zone
     * @param verification         NONE, CHECKSUM (default) or RESTORE_TEST
     * @param serverSideEncryption SSE (AES256)
     * @param enabled              default true
     */
    public record PolicyRequest(@Nullable String name, @Nullable String kind, @Nullable String region, @Nullable String source,
            @Nullable String cron, @Nullable Integer retentionCount, @Nullable String retentionMaxAge, @Nullable List<String> copyTargets,
            @Nullable String verification, @Nullable Boolean serverSideEncryption, @Nullable Boolean enabled) {
    }

    public List<BackupPolicy> all() {
        return repository.all();
    }

    public BackupPolicy get(String id) {
        return repository.find(Names.id("id", id)).orElseThrow(() -> MeridianException.notFound("backup policy", id));
    }

    @Transactional
    public BackupPolicy create(PolicyRequest request) {
        String name = Names.policy("name", require("name", request.name()));
        BackupKind kind = parse("kind", request.kind(), BackupKind.class, BackupKind.LOGICAL);
        String region = require("region", request.region());
        String source = require("source", request.source());
        List<String> targets = request.copyTargets() == null ? List.of() : List.copyOf(request.copyTargets());
        catalog.checkSource(kind, region, source, targets);
        String cron = require("cron", request.cron());
        try {
            CronExpression.parse(cron);
        } catch (IllegalArgumentException e) {
            throw new InvalidFieldException("cron", "is not a valid cron expression (six fields, seconds first, e.g. '0 0 2 * * *'): "
                    + e.getMessage());
        }
        int count = request.retentionCount() == null ? 7 : request.retentionCount();
        if (count < 1 || count > 1000) {
            throw new InvalidFieldException("retentionCount", "must be between 1 and 1000");
        }
        Duration maxAge;
        try {
            maxAge = request.retentionMaxAge() == null ? Duration.ofDays(30) : Duration.parse(request.retentionMaxAge());
        } catch (DateTimeParseException e) {
            throw new InvalidFieldException("retentionMaxAge", "must be an ISO-8601 duration such as P30D or PT12H");
        }
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new InvalidFieldException("retentionMaxAge", "must be positive");
        }
        Verification verification = parse("verification", request.verification(), Verification.class, Verification.CHECKSUM);
        if (verification == Verification.RESTORE_TEST && kind != BackupKind.LOGICAL) {
            throw new InvalidFieldException("verification", "RESTORE_TEST is for LOGICAL backups");
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        BackupPolicy policy = new BackupPolicy(UUID.randomUUID(), name, kind, region, source, cron, count, maxAge, targets, verification,
                Boolean.TRUE.equals(request.serverSideEncryption()), !Boolean.FALSE.equals(request.enabled()), now, now);
        if (!repository.insert(policy)) {
            throw MeridianException.conflict(ProblemTypes.ALREADY_EXISTS, "Policy exists", "a policy named '" + name + "' exists")
                    .with("field", "name");
        }
        audit.succeeded("policy.create", "policy/" + policy.id(), null, policy);
        return policy;
    }

    @Transactional
    public BackupPolicy setEnabled(String id, boolean enabled) {
        BackupPolicy before = get(id);
        repository.setEnabled(before.id(), enabled);
        BackupPolicy after = get(id);
        audit.succeeded(enabled ? "policy.enable" : "policy.disable", "policy/" + id, Map.of("enabled", before.enabled()),
                Map.of("enabled", enabled));
        return after;
    }

    @Transactional
    public void delete(String id) {
        BackupPolicy before = get(id);
        repository.delete(before.id());
        audit.succeeded("policy.delete", "policy/" + id, before, null);
    }

    /** Runs the policy now (its backups stay in the catalog under its retention). */
    public Backup runNow(String id) {
        BackupPolicy policy = get(id);
        return catalog.runNow(spec(policy, "ON_DEMAND", null));
    }

    /** The policy with {@code id}, if it still exists. */
    public java.util.Optional<BackupPolicy> find(UUID id) {
        return repository.find(id);
    }

    /** What a run of {@code p} backs up and how. */
    public static RunSpec spec(BackupPolicy p, String trigger, @Nullable Instant fireTime) {
        return new RunSpec(p.id(), p.kind(), p.region(), p.source(), p.copyTargets(), p.verification(), p.serverSideEncryption(), trigger,
                fireTime, new Retention.Rule(p.retentionCount(), p.retentionMaxAge()));
    }

    private static String require(String field, @Nullable String value) {
        if (value == null || value.isBlank()) {
            throw new InvalidFieldException(field, "is required");
        }
        return value;
    }

    static <E extends Enum<E>> E parse(String field, @Nullable String value, Class<E> type, E fallback) {
        if (value == null) {
            return fallback;
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(value)) {
                return e;
            }
        }
        throw new InvalidFieldException(field, "must be one of " + java.util.Arrays.toString(type.getEnumConstants()));
    }

    BackupRuns runs() {
        return runs;
    }
}
