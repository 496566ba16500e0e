package io.meridian.backup.catalog;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Service;

import io.meridian.backup.catalog.BackupRuns.RunSpec;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.topology.BackupProblems;
import io.meridian.backup.topology.Names;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.ResidencyZone;
import io.meridian.support.audit.AuditLog;

/** The catalog's control actions: on-demand runs, verification, restore tests, deletion. */
@Service
public class Catalog {

    private final BackupRepository repository;
    private final BackupRuns runs;
    private final CopyVerifier verifier;
    private final RestoreTester restoreTester;
    private final Retention retention;
    private final RegionTopology topology;
    private final AuditLog audit;
    private final BackupEvents events;

    Catalog(BackupRepository repository, BackupRuns runs, CopyVerifier verifier, RestoreTester restoreTester, Retention retention,
            RegionTopology topology, AuditLog audit, BackupEvents events) {
        this.repository = repository;
        this.runs = runs;
        this.verifier = verifier;
        this.restoreTester = restoreTester;
        this.retention = retention;
        this.topology = topology;
        this.audit = audit;
        this.events = events;
    }

    public Backup get(String id) {
        UUID uuid = Names.id("id", id);
        return repository.find(uuid).orElseThrow(() -> MeridianException.notFound("backup", id));
    }

    public List<Backup> list(@Nullable String region, @Nullable String source, @Nullable BackupStatus status, @Nullable BackupKind kind,
            int limit) {
        if (region != null) {
            topology.require("region", region);
        }
        return repository.list(region, source, status, kind, limit);
    }

    /** Checks a source and its copy targets: known regions, valid names, and every target in the source's zone. */
    public void checkSource(BackupKind kind, String region, String source, List<String> copyTargets) {
        RegionSettings settings = topology.require("region", region);
        if (kind == BackupKind.KUBERNETES) {
            Names.namespace("source", source);
            if (settings.kubernetesApi() == null) {
                throw new InvalidFieldException("region", "region " + region + " has no Kubernetes API configured");
            }
        } else {
            Names.database("source", source);
        }
        ResidencyZone zone = settings.zone();
        for (int i = 0; i < copyTargets.size(); i++) {
            String target = copyTargets.get(i);
            topology.require("copyTargets[" + i + "]", target);
            if (target.equals(region)) {
                throw new InvalidFieldException("copyTargets[" + i + "]", "is the source region; the first copy is always written there");
            }
            topology.requireAllowed("copyTargets[" + i + "]", zone, target);
        }
        if (copyTargets.stream().distinct().count() != copyTargets.size()) {
            throw new InvalidFieldException("copyTargets", "lists a region twice");
        }
    }

    /** Starts an on-demand backup. */
    public Backup runNow(RunSpec spec) {
        checkSource(spec.kind(), spec.region(), spec.source(), spec.copyTargets());
        Backup started = runs.start(spec);
        if (started == null) {
            throw new IllegalStateException("on-demand runs are never deduplicated");
        }
        audit.succeeded("backup.start", "backup/" + started.id(), null, Map.of("kind", spec.kind(), "region", spec.region(),
                "source", spec.source(), "copyTargets", spec.copyTargets(), "verification", spec.verification()));
        return started;
    }

    /** Re-reads every copy against the manifest and updates the backup's status. */
    public Backup verify(String id) {
        Backup backup = get(id);
        requireFinished(backup);
        CopyVerifier.Outcome outcome = verifier.verifyAll(backup.id());
        BackupStatus status = outcome.allOk() ? BackupStatus.VERIFIED : BackupStatus.CORRUPT;
        if (status == BackupStatus.VERIFIED && backup.restoreTest() != null && !backup.restoreTest().path("passed").asBoolean(true)) {
            status = BackupStatus.CORRUPT;
        }
        repository.status(backup.id(), status, "VERIFIED_ON_DEMAND", outcome.allOk() ? null : outcome.summary());
        Backup after = repository.find(backup.id()).orElseThrow();
        audit.succeeded("backup.verify", "backup/" + id, Map.of("status", backup.status()), Map.of("status", status, "result", outcome.summary()));
        events.changed(after);
        return after;
    }

    /** Runs the restore test now. */
    public Backup restoreTest(String id) {
        Backup backup = get(id);
        requireFinished(backup);
        if (backup.kind() != BackupKind.LOGICAL) {
            throw new InvalidFieldException("id", "restore tests are for logical backups; this one is " + backup.kind());
        }
        RestoreTester.Result result = restoreTester.test(backup.id());
        if (!result.passed()) {
            repository.status(backup.id(), BackupStatus.CORRUPT, "RESTORE_TEST", "restore test failed: " + result.detail());
        }
        Backup after = repository.find(backup.id()).orElseThrow();
        audit.succeeded("backup.restore-test", "backup/" + id, null, Map.of("passed", result.passed(), "detail", result.detail()));
        events.changed(after);
        return after;
    }

    /** Deletes a backup, unless it is the newest verified backup of its source. */
    public Backup delete(String id) {
        Backup backup = get(id);
        if (backup.status() == BackupStatus.DELETED) {
            return backup;
        }
        requireFinished(backup);
        if (backup.status() == BackupStatus.VERIFIED) {
            Backup newest = repository.list(backup.region(), backup.source(), BackupStatus.VERIFIED, backup.kind(), 1).stream().findFirst()
                    .orElse(null);
            if (newest != null && newest.id().equals(backup.id())) {
                throw BackupProblems.illegalState("backup " + id + " is the newest verified backup of " + backup.region() + "/"
                        + backup.source() + "; it is never deleted while it is");
            }
        }
        retention.delete(backup, "deleted by " + "request" + (AuditLog.currentReason() == null ? "" : ": " + AuditLog.currentReason()));
        return repository.find(backup.id()).orElseThrow();
    }

    private static void requireFinished(Backup backup) {
        if (backup.status() == BackupStatus.RUNNING) {
            throw BackupProblems.illegalState("backup " + backup.id() + " is still running (" + backup.phase() + ")");
        }
        if (backup.status() == BackupStatus.FAILED || backup.status() == BackupStatus.INTERRUPTED || backup.status() == BackupStatus.DELETED) {
            throw BackupProblems.illegalState("backup " + backup.id() + " is " + backup.status());
        }
    }
}
