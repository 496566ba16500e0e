package io.meridian.backup.catalog;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.ObjectLayout;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.kubernetes.NamespaceResources;
import io.meridian.backup.postgres.Databases;
import io.meridian.backup.postgres.PgTools;
import io.meridian.backup.postgres.ToolProcess;
import io.meridian.backup.storage.BackupObjects;
import io.meridian.backup.storage.Checksums;
import io.meridian.backup.storage.DumpCompression;
import io.meridian.backup.storage.Hex;
import io.meridian.backup.storage.Manifest;
import io.meridian.backup.storage.Manifest.ContentDigest;
import io.meridian.backup.storage.StreamedUpload;
import io.meridian.backup.storage.ObjectStore;
import io.meridian.backup.storage.UploadResult;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Runs backups: writes the object as a stream into the source region's bucket (multipart, SHA-256
 * per part), writes the manifest beside it, copies it to the policy's other regions (re-hashing on
 * the way), verifies every copy by re-reading it, runs the restore test when asked, and applies the
 * policy's retention. Each step is recorded in the catalog as it happens.
 */
@Component
public class BackupRuns {

    private static final Logger log = LoggerFactory.getLogger(BackupRuns.class);
    private static final Pattern BASEBACKUP_LSN = Pattern.compile("write-ahead log start point: ([0-9A-F]+/[0-9A-F]+)");

    private final BackupRepository repository;
    private final BackupProperties properties;
    private final RegionTopology topology;
    private final ObjectStore store;
    private final BackupObjects objects;
    private final PgTools tools;
    private final Databases databases;
    private final NamespaceResources kubernetes;
    private final CopyVerifier verifier;
    private final RestoreTester restoreTester;
    private final Retention retention;
    private final AuditLog audit;
    private final BackupEvents events;
    private final Executor executor;
    private final MeterRegistry meters;
    private final WorkOwner owner;
    private final List<PhaseListener> listeners;
    private final Set<UUID> active = ConcurrentHashMap.newKeySet();
    /** Runs another instance took over (this one's heartbeat was refused): they stop at their next phase. */
    private final Set<UUID> lost = ConcurrentHashMap.newKeySet();

    BackupRuns(BackupRepository repository, BackupProperties properties, RegionTopology topology, ObjectStore store, BackupObjects objects,
            PgTools tools, Databases databases, NamespaceResources kubernetes, CopyVerifier verifier, RestoreTester restoreTester,
            Retention retention, AuditLog audit, BackupEvents events, @Qualifier("backupExecutor") Executor executor, MeterRegistry meters,
            WorkOwner owner, List<PhaseListener> listeners) {
        this.repository = repository;
        this.properties = properties;
        this.topology = topology;
        this.store = store;
        this.objects = objects;
        this.tools = tools;
        this.databases = databases;
        this.kubernetes = kubernetes;
        this.verifier = verifier;
        this.restoreTester = restoreTester;
        this.retention = retention;
        this.audit = audit;
        this.events = events;
        this.executor = executor;
        this.meters = meters;
        this.owner = owner;
        this.listeners = List.copyOf(listeners);
    }

    /**
     * What to back up and how.
     *
     * @param policyId      the policy, if any
     * @param kind          logical, physical or Kubernetes
     * @param region        source region
     * @param source        database or namespace
     * @param copyTargets   other regions to copy to (already checked against the residency rule)
     * @param verification  verification level
     * @param sse           server-side encryption
     * @param trigger       SCHEDULED or ON_DEMAND
     * @param scheduledFor  the fire time (scheduled runs)
     * @param retention     the policy's retention, applied after the run
     */
    public record RunSpec(@Nullable UUID policyId, BackupKind kind, String region, String source, List<String> copyTargets,
            Verification verification, boolean sse, String trigger, @Nullable Instant scheduledFor, Retention.@Nullable Rule retention) {
    }

    /**
     * Claims the run in the catalog and starts it in the background.
     *
     * @return the new backup, or null if that policy fire time was claimed already
     */
    public @Nullable Backup start(RunSpec spec) {
        return start(spec, 1, null);
    }

    /**
     * Claims a run as attempt {@code attempt} (a fresh run after {@code retryOf} was interrupted) and starts it.
     *
     * @return the new backup, or null if that policy fire time was claimed already
     */
    public @Nullable Backup start(RunSpec spec, int attempt, @Nullable UUID retryOf) {
        UUID id = claim(spec, attempt, retryOf);
        if (id == null) {
            return null;
        }
        executor.execute(() -> run(id, spec));
        return repository.find(id).orElseThrow();
    }

    /** Records a running backup owned by this instance; null if that policy fire time was claimed already. */
    public @Nullable UUID claim(RunSpec spec, int attempt, @Nullable UUID retryOf) {
        UUID id = UUID.randomUUID();
        String zone = topology.zone(spec.region()).name();
        if (!repository.insertRunning(id, spec.policyId(), spec.kind(), spec.region(), spec.source(), zone, spec.trigger(),
                spec.scheduledFor(), spec.verification(), owner.id(), spec.copyTargets(), spec.sse(), attempt, retryOf)) {
            return null;
        }
        active.add(id);
        return id;
    }

    private void phase(UUID id, String phase) {
        if (lost.contains(id) || !repository.phase(id, owner.id(), phase)) {
            throw new OwnershipLostException(id);
        }
        listeners.forEach(l -> l.entering("backup", id, phase));
    }

    /** Another instance took the run over (it found this one's heartbeat stale): this one stops and writes nothing more. */
    static final class OwnershipLostException extends IllegalStateException {
        OwnershipLostException(UUID id) {
            super("backup " + id + " was taken over by another instance (this one's heartbeat had gone stale)");
        }
    }

    /** Runs a backup in the calling thread (the benchmark and {@link #start} use it). */
    public void run(UUID id, RunSpec spec) {
        active.add(id);
        MDC.put("region", spec.region());
        MDC.put("operation", id.toString());
        Timer.Sample sample = Timer.start(meters);
        String outcome = "failed";
        try {
            Manifest manifest = write(id, spec);
            copy(id, spec, manifest);
            BackupStatus status = BackupStatus.COMPLETED;
            String detail = "written and copied";
            if (spec.verification() != Verification.NONE) {
                phase(id, "VERIFYING");
                CopyVerifier.Outcome verified = verifier.verifyAll(id);
                status = verified.allOk() ? BackupStatus.VERIFIED : BackupStatus.CORRUPT;
                detail = verified.summary();
                if (verified.allOk() && spec.verification() == Verification.RESTORE_TEST && spec.kind() == BackupKind.LOGICAL) {
                    phase(id, "RESTORE_TEST");
                    RestoreTester.Result test = restoreTester.test(id);
                    if (!test.passed()) {
                        status = BackupStatus.CORRUPT;
                    }
                    detail = detail + "; restore test " + (test.passed() ? "passed" : "FAILED: " + test.detail());
                }
            }
            if (!repository.finishRun(id, owner.id(), status, "DONE", status == BackupStatus.CORRUPT ? detail : null)) {
                throw new OwnershipLostException(id);
            }
            outcome = status.name().toLowerCase();
            audit.record("backup.run", "backup/" + id, spec.trigger().toLowerCase() + " run", AuditRecord.Outcome.SUCCEEDED,
                    status + ": " + detail, null, Map.of("status", status, "region", spec.region(), "source", spec.source(),
                            "size", manifest.size(), "sha256", manifest.sha256()));
            events.changed(repository.find(id).orElseThrow());
            log.info("Backup {} of {}/{} {}: {}", id, spec.region(), spec.source(), status, detail);
        } catch (OwnershipLostException e) {
            log.warn("Backup {} of {}/{}: {}; stopped without writing its outcome", id, spec.region(), spec.source(), e.getMessage());
            outcome = "taken-over";
        } catch (Exception e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            log.warn("Backup {} of {}/{} failed: {}", id, spec.region(), spec.source(), reason, e);
            if (!repository.finishRun(id, owner.id(), BackupStatus.FAILED, "FAILED", reason)) {
                log.warn("Backup {}: another instance took it over; its outcome is theirs to record", id);
                return;
            }
            audit.record("backup.run", "backup/" + id, spec.trigger().toLowerCase() + " run", AuditRecord.Outcome.FAILED, reason, null,
                    null);
            repository.find(id).ifPresent(events::changed);
        } finally {
            active.remove(id);
            lost.remove(id);
            sample.stop(meters.timer("meridian.backup.run", "region", spec.region(), "kind", spec.kind().name(), "outcome", outcome));
            MDC.remove("region");
            MDC.remove("operation");
        }
        if (spec.retention() != null) {
            try {
                retention.apply(spec.region(), spec.source(), spec.kind(), spec.retention());
            } catch (RuntimeException e) {
                log.warn("Retention of {}/{} failed: {}", spec.region(), spec.source(), e.toString());
            }
        }
    }

    /** Object key layout: {@code backups/<region>/<source>/<id>/<file>}, the same in every bucket. */
    public static String prefix(UUID id, BackupKind kind, String region, String source) {
        return "backups/" + region + "/" + (kind == BackupKind.KUBERNETES ? "k8s-" : "") + source + "/" + id + "/";
    }

    private record Produced(@Nullable String lsn, @Nullable Instant sourceTime, Map<String, String> tools, List<ContentDigest> contents) {
    }

    private Manifest write(UUID id, RunSpec spec) throws Exception {
        phase(id, "WRITING");
        String prefix = prefix(id, spec.kind(), spec.region(), spec.source());
        String objectKey = prefix + switch (spec.kind()) {
            case LOGICAL -> properties.logicalCompression() == BackupProperties.LogicalCompression.ZSTD ? "dump.pgcustom.zst" : "dump.pgcustom";
            case PHYSICAL -> "base.tar";
            case KUBERNETES -> "resources.json";
        };
        String manifestKey = prefix + "manifest.json";
        // physical backups are large and read only by restores: by default stored as part objects, which need no assembly
        ObjectLayout layout = spec.kind() == BackupKind.PHYSICAL ? properties.physicalLayout() : ObjectLayout.OBJECT;
        int partsPerObject = layout == ObjectLayout.PARTS ? properties.partsPerObject() : 1;
        StreamedUpload upload = store.upload(spec.region(), objectKey, (int) properties.partSize().toBytes(), spec.sse(), layout,
                partsPerObject);
        Produced produced;
        UploadResult result;
        try {
            // persisted before the first part: whoever finds this run interrupted aborts exactly this upload (part objects have
            // no upload id: the recovery deletes them with the rest of the backup's prefix)
            repository.upload(id, owner.id(), spec.region(), objectKey, upload.uploadId());
            listeners.forEach(l -> l.entering("backup", id, "UPLOADING"));
            produced = switch (spec.kind()) {
                case LOGICAL -> dump(id, spec, upload);
                case PHYSICAL -> baseBackup(id, spec, upload);
                case KUBERNETES -> namespace(spec, upload);
            };
            result = upload.complete();
        } catch (Exception e) {
            upload.abort();
            throw e;
        }
        repository.upload(id, owner.id(), null, null, null);
        Manifest manifest = new Manifest(Checksums.COMPOSITE_FORMAT, id, spec.kind().name(), spec.region(), spec.source(), topology.zone(spec.region()).name(),
                Instant.now(), objectKey, result.size(), result.sha256(), properties.partSize().toBytes(), result.parts(), produced.lsn(),
                produced.sourceTime(), produced.tools(), produced.contents(), spec.sse() ? "AES256" : null, Checksums.COMPOSITE, layout,
                layout == ObjectLayout.PARTS ? partsPerObject : null);
        byte[] manifestBytes = objects.bytes(manifest);
        store.put(spec.region(), manifestKey, manifestBytes, spec.sse());
        repository.written(id, result.size(), result.sha256(), result.parts().size(), objectKey, manifestKey, Hex.sha256(manifestBytes),
                produced.lsn(), produced.sourceTime());
        repository.copy(id, spec.region(), store.bucket(spec.region()), objectKey, manifestKey, "AVAILABLE", "written", false);
        return manifest;
    }

    private Produced dump(UUID id, RunSpec spec, OutputStream out) throws Exception {
        RegionSettings region = topology.require("region", spec.region());
        Path stderr = properties.workDir().resolve("logs").resolve(id + ".pg_dump.log");
        try (Databases.Snapshot snapshot = databases.snapshot(region, spec.source());
                ToolProcess dump = tools.dump(region, spec.source(), snapshot.id(), stderr)) {
            // The digests are computed in the exported snapshot while pg_dump streams: same data, no extra wall time.
            CompletableFuture<List<ContentDigest>> digests = spec.verification() == Verification.RESTORE_TEST
                    ? CompletableFuture.supplyAsync(() -> {
                        try {
                            return snapshot.digests();
                        } catch (java.sql.SQLException e) {
                            throw new IllegalStateException("digests at dump time failed: " + e.getMessage(), e);
                        }
                    }, Thread::startVirtualThread)
                    : CompletableFuture.completedFuture(List.of());
            String compression = tools.dumpInto(dump, out);
            dump.awaitSuccess();
            Map<String, String> versions = new LinkedHashMap<>();
            versions.put("pg_dump", tools.version("pg_dump"));
            versions.put("server", snapshot.serverVersion());
            versions.put("format", "custom");
            versions.put(DumpCompression.KEY, compression);
            return new Produced(snapshot.lsn(), snapshot.time(), versions, digests.join());
        }
    }

    private Produced baseBackup(UUID id, RunSpec spec, OutputStream out) throws Exception {
        RegionSettings region = topology.require("region", spec.region());
        Path stderr = properties.workDir().resolve("logs").resolve(id + ".pg_basebackup.log");
        Instant started = Instant.now();
        try (ToolProcess backup = tools.baseBackup(region, stderr)) {
            try (InputStream in = backup.stdout()) {
                in.transferTo(out);
            }
            backup.awaitSuccess();
            Matcher lsn = BASEBACKUP_LSN.matcher(backup.stderrText());
            Map<String, String> versions = new LinkedHashMap<>();
            versions.put("pg_basebackup", tools.version("pg_basebackup"));
            versions.put("format", "tar, WAL fetched into the archive");
            return new Produced(lsn.find() ? lsn.group(1) : null, started, versions, List.of());
        }
    }

    private Produced namespace(RunSpec spec, OutputStream out) throws IOException {
        RegionSettings region = topology.require("region", spec.region());
        if (region.kubernetesApi() == null) {
            throw new IllegalStateException("region " + spec.region() + " has no Kubernetes API configured");
        }
        NamespaceResources.Export export = kubernetes.export(region.kubernetesApi().toString(), spec.source());
        out.write(export.document());
        return new Produced(null, Instant.now(), Map.of("client", "fabric8 " + io.fabric8.kubernetes.client.Version.clientVersion(),
                "format", "KubernetesList JSON"), export.digests());
    }

    private void copy(UUID id, RunSpec spec, Manifest manifest) throws IOException {
        if (spec.copyTargets().isEmpty()) {
            return;
        }
        phase(id, "COPYING");
        String manifestKey = prefix(id, spec.kind(), spec.region(), spec.source()) + "manifest.json";
        byte[] manifestBytes = objects.bytes(manifest);
        List<String> failures = new ArrayList<>();
        for (String target : spec.copyTargets()) {
            // checked when the policy was written; checked again here, where the bytes move
            topology.requireAllowed("copyTargets", topology.zone(spec.region()), target);
            String bucket = store.bucket(target);
            repository.copy(id, target, bucket, manifest.objectKey(), manifestKey, "PENDING", "copying", false);
            try {
                UploadResult copied = store.streamCopy(spec.region(), target, manifest, spec.sse());
                if (copied.size() != manifest.size() || !copied.sha256().equals(manifest.sha256())) {
                    store.deleteBackupObject(target, manifest.objectKey());
                    repository.copy(id, target, bucket, manifest.objectKey(), manifestKey, "FAILED",
                            "the bytes read from " + spec.region() + " do not match the manifest (" + copied.sha256() + ")", false);
                    failures.add(target);
                    continue;
                }
                store.put(target, manifestKey, manifestBytes, spec.sse());
                repository.copy(id, target, bucket, manifest.objectKey(), manifestKey, "AVAILABLE", "copied from " + spec.region(), false);
            } catch (IOException | RuntimeException e) {
                repository.copy(id, target, bucket, manifest.objectKey(), manifestKey, "FAILED", e.getMessage(), false);
                failures.add(target);
            }
        }
        if (!failures.isEmpty()) {
            log.warn("Backup {}: copies to {} failed", id, failures);
        }
    }

    /**
     * Keeps the heartbeat of running backups fresh, so another instance can tell a live run from a
     * dead one; a refused heartbeat means another instance took the run over, and it stops.
     */
    @Scheduled(fixedDelayString = "${meridian.backup.heartbeat:5s}")
    void heartbeat() {
        for (UUID id : active) {
            if (!repository.heartbeat(id, owner.id())) {
                lost.add(id);
            }
        }
    }

    /** Whether a backup runs in this instance. */
    public boolean isActive(UUID id) {
        return active.contains(id);
    }
}
