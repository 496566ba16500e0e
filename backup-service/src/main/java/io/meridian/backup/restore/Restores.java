package io.meridian.backup.restore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Service;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.meridian.backup.storage.LocalFiles;
import io.meridian.backup.catalog.Backup;
import io.meridian.backup.catalog.BackupEvents;
import io.meridian.backup.catalog.BackupKind;
import io.meridian.backup.catalog.BackupRepository;
import io.meridian.backup.catalog.BackupStatus;
import io.meridian.backup.catalog.PhaseListener;
import io.meridian.backup.catalog.WorkOwner;
import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.kubernetes.NamespaceResources;
import io.meridian.backup.postgres.Databases;
import io.meridian.backup.postgres.PgTools;
import io.meridian.backup.postgres.ToolProcess;
import io.meridian.backup.storage.BackupObjects;
import io.meridian.backup.storage.Manifest;
import io.meridian.backup.storage.ObjectVerifier;
import io.meridian.backup.topology.BackupProblems;
import io.meridian.backup.topology.Names;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.security.Roles;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Restores a backup into a region. Everything that can be checked is checked before anything is
 * touched: the target region is in the data's zone, the target is new or its replacement is
 * confirmed by name (and asked by an admin), the manifest matches the catalog, the object's size
 * matches the manifest. Then the copy nearest the target is downloaded and checked part by part
 * against the manifest; only a fully matching download is applied, into a temporary database (or
 * directory) that takes the target's name only once it is complete and (when digests exist) its
 * row counts and content hashes match those taken at dump time. A cancelled or failed restore drops
 * the temporary database and leaves the target as it was.
 */
@Service
public class Restores {

    private static final Logger log = LoggerFactory.getLogger(Restores.class);

    private final RestoreRepository repository;
    private final BackupRepository backups;
    private final RegionTopology topology;
    private final BackupObjects objects;
    private final PgTools tools;
    private final Databases databases;
    private final NamespaceResources kubernetes;
    private final BackupProperties properties;
    private final AuditLog audit;
    private final BackupEvents events;
    private final Executor executor;
    private final WorkOwner owner;
    private final List<PhaseListener> listeners;
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();

    Restores(RestoreRepository repository, BackupRepository backups, RegionTopology topology, BackupObjects objects, PgTools tools,
            Databases databases, NamespaceResources kubernetes, BackupProperties properties, AuditLog audit,
            BackupEvents events, @Qualifier("restoreExecutor") Executor executor, WorkOwner owner, List<PhaseListener> listeners) {
        this.repository = repository;
        this.backups = backups;
        this.topology = topology;
        this.objects = objects;
        this.tools = tools;
        this.databases = databases;
        this.kubernetes = kubernetes;
        this.properties = properties;
        this.audit = audit;
        this.events = events;
        this.executor = executor;
        this.owner = owner;
        this.listeners = List.copyOf(listeners);
    }

    /**
     * A restore request.
     *
     * @param backupId     the backup to restore
     * @param targetRegion the region to restore into (same residency zone as the data)
     * @param target       database name (LOGICAL), data directory name under the region's data root (PHYSICAL) or namespace
     *                     (KUBERNETES); default: the backup's source name
     * @param mode         NEW (default: the target must not exist) or REPLACE (admin only, with {@code confirm})
     * @param confirm      for REPLACE: the target's name again
     * @param verifyContents compare row counts and content hashes with the dump-time digests before swapping in (default true)
     */
    public record RestoreRequest(@Nullable String backupId, @Nullable String targetRegion, @Nullable String target, @Nullable String mode,
            @Nullable String confirm, @Nullable Boolean verifyContents) {
    }

    private static final class Running {
        volatile boolean cancelled;
        /** Another instance took the restore over: stop, clean up, write nothing more. */
        volatile boolean lost;
        volatile @Nullable ToolProcess tool;
        final AtomicLong bytes = new AtomicLong();
    }

    public List<Restore> recent(int limit) {
        return repository.recent(limit);
    }

    public Restore get(String id) {
        return repository.find(Names.id("id", id)).orElseThrow(() -> MeridianException.notFound("restore", id));
    }

    /** Checks the request, records the restore and starts it; every rejection happens before anything is touched. */
    public Restore start(RestoreRequest request) {
        if (request.backupId() == null) {
            throw new InvalidFieldException("backupId", "is required");
        }
        UUID backupId = Names.id("backupId", request.backupId());
        Backup backup = backups.find(backupId).orElseThrow(() -> MeridianException.notFound("backup", request.backupId()));
        if (backup.status() != BackupStatus.VERIFIED && backup.status() != BackupStatus.COMPLETED) {
            throw BackupProblems.illegalState("backup " + backupId + " is " + backup.status() + "; only COMPLETED or VERIFIED backups are restored");
        }
        if (request.targetRegion() == null) {
            throw new InvalidFieldException("targetRegion", "is required");
        }
        RegionSettings region = topology.require("targetRegion", request.targetRegion());
        topology.requireAllowed("targetRegion", io.meridian.common.region.ResidencyZone.valueOf(backup.zone()), request.targetRegion());
        String mode = request.mode() == null ? "NEW" : request.mode();
        if (!mode.equals("NEW") && !mode.equals("REPLACE")) {
            throw new InvalidFieldException("mode", "must be NEW or REPLACE");
        }
        String target = request.target() == null ? backup.source() : request.target();
        boolean exists = switch (backup.kind()) {
            case LOGICAL -> {
                Names.database("target", target);
                yield checkDatabaseTarget(region, request.targetRegion(), target);
            }
            case PHYSICAL -> {
                Names.database("target", target);
                if (region.dataRoot() == null) {
                    throw new InvalidFieldException("targetRegion", "region " + request.targetRegion() + " has no data root for physical restores");
                }
                yield Files.exists(region.dataRoot().resolve(target));
            }
            case KUBERNETES -> {
                Names.namespace("target", target);
                if (region.kubernetesApi() == null) {
                    throw new InvalidFieldException("targetRegion", "region " + request.targetRegion() + " has no Kubernetes API");
                }
                yield !kubernetes.digests(region.kubernetesApi().toString(), target).isEmpty();
            }
        };
        if (exists && mode.equals("NEW")) {
            throw BackupProblems.confirmationRequired(target, target + " exists in " + request.targetRegion()
                    + "; to replace it, send mode REPLACE and confirm with its name");
        }
        if (mode.equals("REPLACE")) {
            if (!target.equals(request.confirm())) {
                throw BackupProblems.confirmationRequired(target, "replacing " + target + " in " + request.targetRegion()
                        + " needs confirm set to '" + target + "'");
            }
            if (!hasRole(Roles.ADMIN)) {
                throw new MeridianException(io.meridian.common.problem.ProblemTypes.FORBIDDEN, 403, "Not allowed",
                        "replacing an existing target needs the admin role");
            }
        }
        // The manifest and the object's size are checked now, so a tampered or truncated backup is refused at once.
        Candidate source = nearestIntact(backup, request.targetRegion());
        UUID id = UUID.randomUUID();
        repository.insert(id, backupId, backup.kind().name(), request.targetRegion(), target, mode, actor(), owner.id());
        Restore restore = repository.find(id).orElseThrow();
        audit.succeeded("restore.start", "restore/" + id, null, Map.of("backup", backupId, "targetRegion", request.targetRegion(),
                "target", target, "mode", mode, "sourceRegion", source.region()));
        Running handle = new Running();
        running.put(id, handle);
        boolean verifyContents = !Boolean.FALSE.equals(request.verifyContents());
        executor.execute(() -> run(id, backup, request.targetRegion(), region, target, mode, verifyContents, handle));
        return restore;
    }

    private boolean checkDatabaseTarget(RegionSettings region, String regionId, String target) {
        try {
            if (databases.inRecovery(region)) {
                throw BackupProblems.illegalState("the database cluster of " + regionId + " is a read-only standby; restore into its primary");
            }
            return databases.exists(region, target);
        } catch (java.sql.SQLException e) {
            throw new MeridianException(io.meridian.common.problem.ProblemTypes.UNAVAILABLE, 503, "Unavailable",
                    "cannot reach the database cluster of " + regionId + ": " + e.getMessage());
        }
    }

    /** A copy to read from, with its checked manifest. */
    private record Candidate(String region, Manifest manifest) {
    }

    /** The nearest copy whose manifest matches the catalog and whose object (or part objects) have the manifest's sizes. */
    private Candidate nearestIntact(Backup backup, String targetRegion) {
        List<String> usable = backup.copies().stream().filter(c -> c.status().equals("VERIFIED") || c.status().equals("AVAILABLE"))
                .map(Backup.Copy::region).toList();
        List<String> problems = new ArrayList<>();
        for (String region : topology.byDistanceFrom(targetRegion, usable)) {
            Backup.Copy copy = backup.copies().stream().filter(c -> c.region().equals(region)).findFirst().orElseThrow();
            try {
                Manifest manifest = objects.manifest(region, copy.manifestKey(), backup.manifestSha256());
                String missing = objects.missing(region, manifest);
                if (missing != null) {
                    problems.add(region + ": " + missing);
                    continue;
                }
                return new Candidate(region, manifest);
            } catch (MeridianException e) {
                problems.add(region + ": " + e.getMessage());
            }
        }
        throw BackupProblems.integrity(usable.isEmpty() ? "backup " + backup.id() + " has no usable copy"
                : "no intact copy of backup " + backup.id() + ": " + String.join("; ", problems)).with("copies", problems);
    }

    private void run(UUID id, Backup backup, String targetRegion, RegionSettings region, String target, String mode, boolean verifyContents,
            Running handle) {
        MDC.put("region", targetRegion);
        MDC.put("operation", id.toString());
        Path spool = properties.workDir().resolve("restore").resolve(id.toString());
        String status = "FAILED";
        String phase = "VERIFYING";
        Object result = null;
        String error = null;
        Staging staging = null;
        try {
            if (backup.kind() == BackupKind.PHYSICAL) {
                // recorded before the first byte lands in it: whoever finds this restore interrupted removes exactly this directory
                staging = staging(id, region, target, handle);
            }
            // the nearest copy that downloads intact; a copy that fails its check is marked and the next one tried
            Candidate source = null;
            Path file = spool.resolve("object");
            List<String> problems = new ArrayList<>();
            for (Candidate candidate : candidates(backup, targetRegion)) {
                phase(id, handle, "VERIFYING", candidate.region());
                repository.progress(id, owner.id(), 0, candidate.manifest().size());
                LongConsumer progress = n -> progress(id, handle, n, candidate.manifest().size());
                // parts are read in parallel and each is checked before any of its bytes is used. Physical: extracted into the
                // staging directory as they arrive; a copy that fails its check leaves no staging directory behind. Others: a
                // checked local file (a zstd object decompressed on the way).
                ObjectVerifier.Result fetched = staging != null
                        ? objects.extract(candidate.region(), candidate.manifest(), staging.directory(), properties.downloadParts(),
                                properties.restoreDirectIo(), progress,
                                () -> handle.cancelled).check()
                        : objects.download(candidate.region(), candidate.manifest(), file, properties.downloadParts(), progress,
                                () -> handle.cancelled);
                if (fetched.ok()) {
                    source = candidate;
                    break;
                }
                problems.add(candidate.region() + ": " + fetched.detail());
                Backup.Copy copy = backup.copies().stream().filter(c -> c.region().equals(candidate.region())).findFirst().orElseThrow();
                backups.copy(backup.id(), copy.region(), copy.bucket(), copy.objectKey(), copy.manifestKey(), "CORRUPT", fetched.detail(), true);
            }
            if (source == null) {
                throw BackupProblems.integrity("no copy matched its manifest; nothing was restored: " + String.join("; ", problems));
            }
            repository.progress(id, owner.id(), source.manifest().size(), source.manifest().size());
            checkCancelled(handle);
            phase = "RESTORING";
            phase(id, handle, phase, source.region());
            result = switch (backup.kind()) {
                case LOGICAL -> restoreDatabase(id, region, target, file, source.manifest(), verifyContents, handle);
                case PHYSICAL -> restoreDirectory(id, staging, target, mode, spool, verifyContents, handle);
                case KUBERNETES -> restoreNamespace(id, region, target, mode, file, source.manifest(), handle);
            };
            status = "SUCCEEDED";
            phase = "DONE";
        } catch (ObjectVerifier.Cancelled | CancelledException e) {
            status = handle.lost ? "LOST" : "CANCELLED";
            error = "cancelled; the target was not changed";
        } catch (Exception e) {
            error = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (handle.cancelled) {
                status = "CANCELLED";
                error = "cancelled; the target was not changed";
            }
            log.warn("Restore {} of backup {} failed in {}: {}", id, backup.id(), phase, error);
        } finally {
            running.remove(id);
            LocalFiles.deleteTree(spool);
            if (staging != null) {
                // gone already when it was moved into place; otherwise nothing of it may stay behind
                LocalFiles.deleteTree(staging.directory());
            }
            MDC.remove("region");
            MDC.remove("operation");
        }
        if (handle.lost || !repository.finish(id, owner.id(), status, phase, result, error)) {
            log.warn("Restore {} was taken over by another instance (this one's heartbeat had gone stale); it records the outcome", id);
            return;
        }
        audit.record("restore.finish", "restore/" + id, null, status.equals("SUCCEEDED") ? AuditRecord.Outcome.SUCCEEDED
                : AuditRecord.Outcome.FAILED, status + (error == null ? "" : ": " + error), null, result);
        repository.find(id).ifPresent(r -> events.restore(id.toString(), r));
    }

    private List<Candidate> candidates(Backup backup, String targetRegion) {
        Backup fresh = backups.find(backup.id()).orElseThrow();
        List<String> usable = fresh.copies().stream().filter(c -> c.status().equals("VERIFIED") || c.status().equals("AVAILABLE"))
                .map(Backup.Copy::region).toList();
        List<Candidate> candidates = new ArrayList<>();
        for (String region : topology.byDistanceFrom(targetRegion, usable)) {
            Backup.Copy copy = fresh.copies().stream().filter(c -> c.region().equals(region)).findFirst().orElseThrow();
            try {
                candidates.add(new Candidate(region, objects.manifest(region, copy.manifestKey(), fresh.manifestSha256())));
            } catch (MeridianException e) {
                backups.copy(fresh.id(), copy.region(), copy.bucket(), copy.objectKey(), copy.manifestKey(), "CORRUPT", e.getMessage(), true);
            }
        }
        return candidates;
    }

    private void progress(UUID id, Running handle, long bytes, long total) {
        long previous = handle.bytes.get();
        if (bytes - previous >= 16L << 20 || bytes == total) {
            handle.bytes.set(bytes);
            repository.progress(id, owner.id(), bytes, total);
        }
    }

    private Map<String, Object> restoreDatabase(UUID id, RegionSettings region, String target, Path file, Manifest manifest,
            boolean verifyContents, Running handle) throws Exception {
        String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()).substring(0, 12);
        String temporary = "meridian_restoring_" + suffix;
        String retired = "meridian_retired_" + suffix;
        boolean swapped = false;
        if (!repository.temporary(id, owner.id(), temporary, retired)) {
            handle.lost = true;
            throw new CancelledException();
        }
        try {
            databases.create(region, temporary);
            try (ToolProcess restore = tools.restore(region, temporary, file, properties.workDir().resolve("logs").resolve(id + ".pg_restore.log"))) {
                handle.tool = restore;
                checkCancelled(handle);
                restore.awaitSuccess();
            } finally {
                handle.tool = null;
            }
            checkCancelled(handle);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("bytes", manifest.size());
            result.put("sha256", manifest.sha256());
            result.put("sourceLsn", manifest.sourceLsn());
            if (verifyContents && !manifest.contents().isEmpty()) {
                phase(id, handle, "CHECKING", null);
                List<String> differences = Databases.compare(manifest.contents(), databases.digests(region, temporary));
                if (!differences.isEmpty()) {
                    throw BackupProblems.integrity("the restored data differs from the digests taken at dump time: " + differences);
                }
                result.put("tablesCompared", manifest.contents().size());
            } else {
                result.put("tablesCompared", 0);
            }
            checkCancelled(handle);
            phase(id, handle, "SWAPPING", null);
            requireOwned(id, handle);
            boolean replaced = databases.swapIn(region, temporary, target, retired);
            swapped = true;
            if (replaced) {
                databases.dropIfExists(region, retired);
            }
            result.put("replaced", replaced);
            return result;
        } finally {
            if (!swapped) {
                try {
                    databases.dropIfExists(region, temporary);
                } catch (Exception e) {
                    log.warn("Could not drop temporary database {}: {}", temporary, e.toString());
                }
            }
        }
    }

    /**
     * Where a physical restore puts the data directory until it is proven: {@code .<target>.restoring-<id>} beside the
     * target, and {@code .<target>.retired-<id>} for a replaced one.
     */
    private record Staging(Path directory, Path destination, Path retired) {
    }

    private Staging staging(UUID id, RegionSettings region, String target, Running handle) throws IOException, CancelledException {
        Path root = region.dataRoot();
        Files.createDirectories(root);
        Staging staging = new Staging(root.resolve("." + target + ".restoring-" + id), root.resolve(target),
                root.resolve("." + target + ".retired-" + id));
        if (!repository.temporary(id, owner.id(), staging.directory().getFileName().toString(), staging.retired().getFileName().toString())) {
            lose(handle);
            throw new CancelledException();
        }
        return staging;
    }

    private Map<String, Object> restoreDirectory(UUID id, Staging staging, String target, String mode, Path spool, boolean readTables,
            Running handle) throws Exception {
        Path directory = staging.directory();
        Path destination = staging.destination();
        Path retired = staging.retired();
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        if ("root".equals(System.getProperty("user.name"))) {
            // PostgreSQL runs as postgres and refuses a data directory it does not own
            command(List.of("chown", "-R", "postgres:postgres", directory.toString()), handle);
        }
        checkCancelled(handle);
        // prove it: PostgreSQL recovers from the WAL in the backup until it is writable and is stopped cleanly; reading every
        // table (row counts and content hashes) is asked for with verifyContents
        phase(id, handle, "STARTING", null);
        Map<String, Object> proof = new LinkedHashMap<>();
        long began = System.nanoTime();
        try (ServerOnDataDirectory server = ServerOnDataDirectory.start(directory, tools.bin(), spool.resolve("postgres.log"))) {
            proof.put("recoveredInMillis", (System.nanoTime() - began) / 1_000_000);
            if (!server.writable()) {
                throw new IOException("the restored server is still in recovery after starting; it was not swapped in");
            }
            proof.put("writable", true);
            proof.put("endLsn", server.lsn());
            checkCancelled(handle);
            phase(id, handle, "CHECKING", null);
            proof.put("databases", server.databases(readTables).stream().map(d -> d.digests() == null
                    ? Map.<String, Object>of("name", d.name(), "tables", d.tables())
                    : Map.<String, Object>of("name", d.name(), "tables", d.tables(), "rows", d.rows(), "digests", d.digests())).toList());
            proof.put("tablesRead", readTables);
        }
        checkCancelled(handle);
        phase(id, handle, "SWAPPING", null);
        requireOwned(id, handle);
        boolean replaced = false;
        if (Files.exists(destination)) {
            if (!mode.equals("REPLACE")) {
                throw BackupProblems.confirmationRequired(target, target + " appeared meanwhile; not replaced");
            }
            Files.move(destination, retired, StandardCopyOption.ATOMIC_MOVE);
            replaced = true;
        }
        Files.move(directory, destination, StandardCopyOption.ATOMIC_MOVE);
        // the renames are durable before the restore is reported: recovery after a crash would otherwise find the staging
        // directory (and remove it) where the caller was told the restored one is
        LocalFiles.syncDirectory(destination.getParent());
        if (replaced) {
            LocalFiles.deleteTree(retired);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("dataDirectory", destination.toString());
        result.put("replaced", replaced);
        result.putAll(proof);
        result.put("next", "the data directory was started, recovered to writable" + (readTables ? ", every table read" : "")
                + " and stopped cleanly; point the region's database at it (see the restore runbook): pg_ctl -D " + destination + " start");
        return result;
    }

    private static void command(List<String> command, Running handle) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IOException(command.getFirst() + " failed: " + output.strip());
        }
    }

    private Map<String, Object> restoreNamespace(UUID id, RegionSettings region, String namespace, String mode, Path file,
            Manifest manifest, Running handle) throws IOException, CancelledException {
        List<HasMetadata> items;
        try {
            items = kubernetes.parse(Files.readAllBytes(file), manifest.contents());
        } catch (IllegalStateException e) {
            throw BackupProblems.integrity(e.getMessage());
        }
        phase(id, handle, "APPLYING", null);
        requireOwned(id, handle);
        // with REPLACE (confirmed by name, admin only: checked at the request) what the backup does not hold is deleted
        NamespaceResources.Applied applied = kubernetes.apply(region.kubernetesApi().toString(), namespace, items, mode.equals("REPLACE"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("namespace", namespace);
        result.put("resources", items.size());
        result.put("created", applied.created());
        result.put("replaced", applied.replaced());
        result.put("deleted", applied.deleted());
        return result;
    }

    /** Whether a restore runs in this instance. */
    public boolean isRunning(UUID id) {
        return running.containsKey(id);
    }

    /** Cancels a running restore; it stops at the next step and leaves the target unchanged. */
    public Restore cancel(String id) {
        Restore restore = get(id);
        Running handle = running.get(restore.id());
        if (!restore.status().equals("RUNNING") || handle == null) {
            throw BackupProblems.illegalState("restore " + id + " is " + restore.status() + (handle == null && restore.status().equals("RUNNING")
                    ? " in another instance" : ""));
        }
        if (restore.phase().equals("SWAPPING")) {
            throw BackupProblems.illegalState("restore " + id + " is swapping the restored data in; it can no longer be cancelled");
        }
        handle.cancelled = true;
        ToolProcess tool = handle.tool;
        if (tool != null) {
            tool.cancel();
        }
        audit.succeeded("restore.cancel", "restore/" + id, Map.of("status", restore.status(), "phase", restore.phase()),
                Map.of("cancelRequested", true));
        return get(id);
    }

    /** Renews the heartbeat of running restores; a refused one means another instance took it over, and this one stops. */
    @Scheduled(fixedDelayString = "${meridian.backup.heartbeat:5s}")
    void heartbeat() {
        running.forEach((id, handle) -> {
            if (!repository.heartbeat(id, owner.id())) {
                lose(handle);
            }
        });
    }

    private static void lose(Running handle) {
        handle.lost = true;
        handle.cancelled = true;
        ToolProcess tool = handle.tool;
        if (tool != null) {
            tool.cancel();
        }
    }

    /**
     * Checks, right before the target is touched, that no other instance took the restore over (after
     * finding this one's heartbeat stale, it may have removed the temporary data and reset the target).
     */
    private void requireOwned(UUID id, Running handle) throws CancelledException {
        if (handle.lost || !repository.heartbeat(id, owner.id())) {
            lose(handle);
            throw new CancelledException();
        }
    }

    /** Records the phase (only while this instance owns the restore) and tells the listeners. */
    private void phase(UUID id, Running handle, String phase, @Nullable String sourceRegion) throws CancelledException {
        if (!repository.phase(id, owner.id(), phase, sourceRegion)) {
            lose(handle);
            throw new CancelledException();
        }
        listeners.forEach(l -> l.entering("restore", id, phase));
    }

    private static void checkCancelled(Running handle) throws CancelledException {
        if (handle.cancelled) {
            throw new CancelledException();
        }
    }

    private static final class CancelledException extends Exception {
        CancelledException() {
            super("cancelled");
        }
    }

    private static boolean hasRole(String role) {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth != null && auth.getAuthorities().stream().anyMatch(a -> a.getAuthority().equals("ROLE_" + role));
    }

    private static String actor() {
        Authentication auth = SecurityContextHolder.getContext().getAuthentication();
        return auth == null ? "system" : auth.getName();
    }

}
