package io.meridian.backup.recovery;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.meridian.backup.storage.LocalFiles;
import io.meridian.backup.catalog.Backup;
import io.meridian.backup.catalog.BackupEvents;
import io.meridian.backup.catalog.BackupKind;
import io.meridian.backup.catalog.BackupRepository;
import io.meridian.backup.catalog.BackupRuns;
import io.meridian.backup.catalog.BackupRuns.RunSpec;
import io.meridian.backup.catalog.BackupStatus;
import io.meridian.backup.catalog.WorkOwner;
import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.policy.BackupPolicy;
import io.meridian.backup.policy.Policies;
import io.meridian.backup.postgres.Databases;
import io.meridian.backup.restore.Restore;
import io.meridian.backup.restore.RestoreRepository;
import io.meridian.backup.restore.Restores;
import io.meridian.backup.restore.ServerOnDataDirectory;
import io.meridian.backup.storage.ObjectStore;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Recovers the work of instances that died, from what the catalog persisted; the scheduler lease
 * holder runs it on every tick. A run or restore is interrupted when its heartbeat (renewed every
 * {@code heartbeat} by the instance working on it) is older than {@code stale-after} in database
 * time, or when it belongs to an earlier incarnation of this very instance (it restarted). It is
 * first taken over with a conditional update (one instance wins; the old owner's writes are fenced
 * from then on), then:
 *
 * <ul>
 * <li>a backup run: its persisted multipart upload is aborted, every incomplete upload under the
 * backup's prefix is aborted and every object under it deleted, in the source bucket and in each
 * copy target's; a restore test's scratch database is dropped; its copies are marked {@code DELETED}; it is marked {@code INTERRUPTED}; and, when
 * {@code restart-interrupted} is on and attempts remain, a fresh run of the same spec starts (a
 * policy's run only while the policy exists and is enabled);
 * <li>a restore: the temporary database or staging directory is removed (after stopping a
 * verification server still running on it); if it died while swapping, a target moved aside is put
 * back, or, when the restored data had already taken the target's name, the moved-aside one is
 * dropped; it is marked {@code INTERRUPTED} saying which. A namespace restore interrupted while
 * applying cannot be rolled back (the previous resources are not kept); the error says so and how to
 * finish it.
 * </ul>
 *
 * Every recovery is audited as actor {@code system} and published.
 */
@Component
public class Recovery {

    private static final Logger log = LoggerFactory.getLogger(Recovery.class);

    private final BackupRepository backups;
    private final RestoreRepository restores;
    private final ObjectStore store;
    private final Databases databases;
    private final RegionTopology topology;
    private final BackupRuns runs;
    private final Policies policies;
    private final Restores running;
    private final WorkOwner owner;
    private final BackupProperties properties;
    private final AuditLog audit;
    private final BackupEvents events;

    Recovery(BackupRepository backups, RestoreRepository restores, ObjectStore store, Databases databases, RegionTopology topology,
            BackupRuns runs, Policies policies, Restores running, WorkOwner owner, BackupProperties properties, AuditLog audit,
            BackupEvents events) {
        this.backups = backups;
        this.restores = restores;
        this.store = store;
        this.databases = databases;
        this.topology = topology;
        this.runs = runs;
        this.policies = policies;
        this.running = running;
        this.owner = owner;
        this.properties = properties;
        this.audit = audit;
        this.events = events;
    }

    /**
     * What one pass recovered.
     *
     * @param backups   interrupted backup runs recovered
     * @param restores  interrupted restores recovered
     * @param restarted the fresh runs started in place of interrupted ones
     */
    public record Outcome(List<UUID> backups, List<UUID> restores, List<UUID> restarted) {
    }

    /** Finds interrupted runs and restores and recovers them. */
    public Outcome recover() {
        List<UUID> recoveredBackups = new ArrayList<>();
        List<UUID> restarted = new ArrayList<>();
        for (BackupRepository.Interrupted run : backups.interrupted(properties.staleAfter(), owner.name(), owner.id())) {
            if (owner.id().equals(run.owner()) && runs.isActive(run.backup().id())) {
                continue; // this instance's own live run whose heartbeat lagged: alive, not interrupted
            }
            try {
                recoverRun(run).ifPresent(restarted::add);
                recoveredBackups.add(run.backup().id());
            } catch (RuntimeException e) {
                // taken over but not cleaned: it stays RUNNING under this owner and is retried once its heartbeat is stale
                log.warn("Recovering interrupted backup {} failed: {}", run.backup().id(), e.toString(), e);
            }
        }
        List<UUID> recoveredRestores = new ArrayList<>();
        for (RestoreRepository.Interrupted restore : restores.interrupted(properties.staleAfter(), owner.name(), owner.id())) {
            if (owner.id().equals(restore.owner()) && running.isRunning(restore.restore().id())) {
                continue; // this instance's own live restore whose heartbeat lagged
            }
            try {
                if (recoverRestore(restore)) {
                    recoveredRestores.add(restore.restore().id());
                }
            } catch (RuntimeException | IOException e) {
                log.warn("Recovering interrupted restore {} failed: {}", restore.restore().id(), e.toString(), e);
            }
        }
        return new Outcome(recoveredBackups, recoveredRestores, restarted);
    }

    private Optional<UUID> recoverRun(BackupRepository.Interrupted run) {
        Backup backup = run.backup();
        if (!backups.takeOver(backup.id(), run.owner(), owner.id())) {
            return Optional.empty(); // another instance recovers it, or it finished meanwhile
        }
        String prefix = BackupRuns.prefix(backup.id(), backup.kind(), backup.region(), backup.source());
        List<String> done = new ArrayList<>();
        int abortedUploads = 0;
        int deletedObjects = 0;
        if (run.uploadId() != null && run.uploadRegion() != null && run.uploadKey() != null && topology.find(run.uploadRegion()).isPresent()) {
            if (store.abortUpload(run.uploadRegion(), run.uploadKey(), run.uploadId())) {
                abortedUploads++;
            }
        }
        Set<String> regions = new LinkedHashSet<>();
        regions.add(backup.region());
        regions.addAll(run.copyTargets());
        backup.copies().forEach(c -> regions.add(c.region()));
        for (String region : regions) {
            if (topology.find(region).isEmpty()) {
                done.add(region + ": no longer a known region, nothing cleaned there");
                continue;
            }
            abortedUploads += store.abortIncompleteUploads(region, prefix).size();
            deletedObjects += store.deletePrefix(region, prefix).size();
        }
        if (run.scratchDatabase() != null) {
            Optional<RegionSettings> source = topology.find(backup.region());
            if (source.isPresent()) {
                try {
                    databases.dropIfExists(source.get(), run.scratchDatabase());
                    backups.scratch(backup.id(), null);
                    done.add("restore test database " + run.scratchDatabase() + " dropped");
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException("cannot drop the restore test database " + run.scratchDatabase() + " of " + backup.region()
                            + ": " + e.getMessage(), e);
                }
            }
        }
        for (Backup.Copy copy : backup.copies()) {
            backups.copy(backup.id(), copy.region(), copy.bucket(), copy.objectKey(), copy.manifestKey(), "DELETED",
                    "removed: the run was interrupted", false);
        }
        done.add(abortedUploads + " multipart upload(s) aborted, " + deletedObjects + " object(s) deleted under " + prefix);
        String reason = "interrupted in phase " + backup.phase() + ": the instance running it (" + (run.owner() == null ? "unknown" : run.owner())
                + ") stopped sending heartbeats; " + String.join("; ", done);
        UUID fresh = null;
        Optional<RunSpec> spec = restartSpec(backup, run);
        if (spec.isPresent()) {
            try {
                Backup started = runs.start(spec.get(), run.attempt() + 1, backup.id());
                fresh = started == null ? null : started.id();
            } catch (RuntimeException e) {
                // the run is recovered all the same; the next fire time (or the operator) takes the next backup
                reason += "; the fresh run could not start: " + e.getMessage();
            }
            if (fresh != null) {
                reason += "; a fresh run was started: " + fresh + " (attempt " + (run.attempt() + 1) + " of " + properties.maxAttempts() + ")";
            }
        } else {
            reason += "; not restarted (" + whyNotRestarted(backup, run) + ")";
        }
        backups.finishRun(backup.id(), owner.id(), BackupStatus.INTERRUPTED, "INTERRUPTED", reason);
        Map<String, Object> after = new LinkedHashMap<>();
        after.put("status", BackupStatus.INTERRUPTED);
        after.put("abortedUploads", abortedUploads);
        after.put("deletedObjects", deletedObjects);
        if (fresh != null) {
            after.put("restartedAs", fresh);
        }
        audit.record("backup.recover", "backup/" + backup.id(), "interrupted run found by " + owner.id(), AuditRecord.Outcome.SUCCEEDED,
                reason, Map.of("status", "RUNNING", "phase", String.valueOf(backup.phase()), "owner", String.valueOf(run.owner())), after);
        backups.find(backup.id()).ifPresent(events::changed);
        log.warn("Backup {} of {}/{}: {}", backup.id(), backup.region(), backup.source(), reason);
        return Optional.ofNullable(fresh);
    }

    private Optional<RunSpec> restartSpec(Backup backup, BackupRepository.Interrupted run) {
        if (!properties.restartInterrupted() || run.attempt() >= properties.maxAttempts()) {
            return Optional.empty();
        }
        if (backup.policyId() == null) {
            return Optional.of(new RunSpec(null, backup.kind(), backup.region(), backup.source(), run.copyTargets(), backup.verification(),
                    run.sse(), backup.trigger(), null, null));
        }
        // scheduled for no fire time: the interrupted run keeps its (policy, fire time) claim
        return policies.find(backup.policyId()).filter(BackupPolicy::enabled).map(p -> Policies.spec(p, backup.trigger(), null));
    }

    private String whyNotRestarted(Backup backup, BackupRepository.Interrupted run) {
        if (!properties.restartInterrupted()) {
            return "meridian.backup.restart-interrupted is off";
        }
        if (run.attempt() >= properties.maxAttempts()) {
            return "it was attempt " + run.attempt() + " of " + properties.maxAttempts();
        }
        return "its policy is deleted or disabled";
    }

    private boolean recoverRestore(RestoreRepository.Interrupted interrupted) throws IOException {
        Restore restore = interrupted.restore();
        if (!restores.takeOver(restore.id(), interrupted.owner(), owner.id())) {
            return false;
        }
        String outcome;
        Optional<RegionSettings> region = topology.find(restore.targetRegion());
        if (region.isEmpty()) {
            outcome = "region " + restore.targetRegion() + " is no longer known; check " + restore.target() + " and remove "
                    + interrupted.temporaryName() + " by hand";
        } else {
            outcome = switch (BackupKind.valueOf(restore.kind())) {
                case LOGICAL -> recoverDatabase(region.get(), restore, interrupted);
                case PHYSICAL -> recoverDirectory(region.get(), restore, interrupted);
                case KUBERNETES -> restore.phase().equals("APPLYING")
                        ? "interrupted while applying resources: namespace " + restore.target() + " may hold part of the backup; run the"
                                + " restore again with mode REPLACE (it creates or updates every resource and deletes those not in the backup)"
                        : "nothing had been applied to namespace " + restore.target() + "; it is unchanged";
            };
        }
        LocalFiles.deleteTree(properties.workDir().resolve("restore").resolve(restore.id().toString()));
        String error = "interrupted in phase " + restore.phase() + ": the instance running it (" + interrupted.owner() + ") stopped; "
                + outcome;
        restores.finish(restore.id(), owner.id(), "INTERRUPTED", restore.phase(), null, error);
        audit.record("restore.recover", "restore/" + restore.id(), "interrupted restore found by " + owner.id(),
                AuditRecord.Outcome.SUCCEEDED, error, Map.of("status", "RUNNING", "phase", restore.phase(), "owner",
                        String.valueOf(interrupted.owner())), Map.of("status", "INTERRUPTED"));
        restores.find(restore.id()).ifPresent(r -> events.restore(r.id().toString(), r));
        log.warn("Restore {} into {}/{}: {}", restore.id(), restore.targetRegion(), restore.target(), error);
        return true;
    }

    /** Puts the target back as it was, or finishes a swap that had already put the restored data in place. */
    private String recoverDatabase(RegionSettings region, Restore restore, RestoreRepository.Interrupted interrupted) {
        String temporary = interrupted.temporaryName();
        String retired = interrupted.retiredName();
        if (temporary == null || retired == null) {
            return "no temporary database had been created; " + restore.target() + " is unchanged";
        }
        try {
            boolean temporaryExists = databases.exists(region, temporary);
            boolean targetExists = databases.exists(region, restore.target());
            boolean retiredExists = databases.exists(region, retired);
            if (temporaryExists || !restore.phase().equals("SWAPPING")) {
                String back = "";
                if (!targetExists && retiredExists) {
                    databases.rename(region, retired, restore.target());
                    back = "; the replaced database was renamed back to " + restore.target();
                }
                databases.dropIfExists(region, temporary);
                return "temporary database " + temporary + " dropped" + back + "; " + restore.target() + " is as it was before the restore";
            }
            if (targetExists) {
                databases.dropIfExists(region, retired);
                return "the swap had completed: " + restore.target() + " holds the restored data (its contents were checked before the swap)"
                        + (retiredExists ? "; the replaced database " + retired + " was dropped" : "");
            }
            return "neither " + temporary + " nor " + restore.target() + " exists" + (retiredExists ? "; the old data is kept as " + retired : "");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot reach the database cluster of " + restore.targetRegion() + ": " + e.getMessage(), e);
        }
    }

    private String recoverDirectory(RegionSettings region, Restore restore, RestoreRepository.Interrupted interrupted) throws IOException {
        if (region.dataRoot() == null || interrupted.temporaryName() == null || interrupted.retiredName() == null) {
            return "no staging directory had been created; " + restore.target() + " is unchanged";
        }
        Path staging = region.dataRoot().resolve(interrupted.temporaryName());
        Path retired = region.dataRoot().resolve(interrupted.retiredName());
        Path destination = region.dataRoot().resolve(restore.target());
        ServerOnDataDirectory.stopIfRunning(staging);
        if (Files.exists(staging) || !restore.phase().equals("SWAPPING")) {
            String back = "";
            if (!Files.exists(destination) && Files.exists(retired)) {
                Files.move(retired, destination, StandardCopyOption.ATOMIC_MOVE);
                back = "; the replaced directory was moved back";
            }
            LocalFiles.deleteTree(staging);
            return "staging directory " + staging + " removed" + back + "; " + destination + " is as it was before the restore";
        }
        if (Files.exists(destination)) {
            LocalFiles.deleteTree(retired);
            return "the swap had completed: " + destination + " holds the restored, verified data directory";
        }
        return "neither " + staging + " nor " + destination + " exists" + (Files.exists(retired) ? "; the old data is kept in " + retired : "");
    }

}
