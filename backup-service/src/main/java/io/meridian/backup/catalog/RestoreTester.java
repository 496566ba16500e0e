package io.meridian.backup.catalog;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.postgres.Databases;
import io.meridian.backup.postgres.PgTools;
import io.meridian.backup.postgres.ToolProcess;
import io.meridian.backup.storage.BackupObjects;
import io.meridian.backup.storage.Manifest;
import io.meridian.backup.storage.ObjectVerifier;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.common.problem.MeridianException;

/**
 * The restore test: the backup (from its source region's copy, checked against the manifest) is
 * restored into a scratch database on the source cluster, whose per-table row counts and content
 * hashes are compared with those captured at dump time; the scratch database is dropped after. The
 * result is recorded with the backup.
 */
@Component
public class RestoreTester {

    private static final Logger log = LoggerFactory.getLogger(RestoreTester.class);

    private final BackupRepository repository;
    private final BackupObjects objects;
    private final PgTools tools;
    private final Databases databases;
    private final RegionTopology topology;
    private final BackupProperties properties;
    private final List<PhaseListener> listeners;

    RestoreTester(BackupRepository repository, BackupObjects objects, PgTools tools, Databases databases, RegionTopology topology,
            BackupProperties properties, List<PhaseListener> listeners) {
        this.repository = repository;
        this.objects = objects;
        this.tools = tools;
        this.databases = databases;
        this.topology = topology;
        this.properties = properties;
        this.listeners = List.copyOf(listeners);
    }

    /**
     * A restore test's result, stored with the backup.
     *
     * @param passed      contents match
     * @param at          when it ran
     * @param detail      summary
     * @param tables      tables compared
     * @param differences what differed
     */
    public record Result(boolean passed, Instant at, String detail, int tables, List<String> differences) {
    }

    public Result test(UUID id) {
        Backup backup = repository.find(id).orElseThrow(() -> MeridianException.notFound("backup", id.toString()));
        Result result;
        try {
            result = run(backup);
        } catch (Exception e) {
            result = new Result(false, Instant.now(), "restore test could not run: " + e.getMessage(), 0, List.of());
        }
        repository.restoreTest(id, result);
        return result;
    }

    private Result run(Backup backup) throws Exception {
        if (backup.kind() != BackupKind.LOGICAL) {
            return new Result(false, Instant.now(), "restore tests are for logical backups", 0, List.of());
        }
        Backup.Copy copy = backup.copies().stream().filter(c -> c.region().equals(backup.region()) && !c.status().equals("DELETED"))
                .findFirst().or(() -> backup.copies().stream().filter(c -> c.status().equals("VERIFIED")).findFirst())
                .orElseThrow(() -> new IllegalStateException("no copy left to test"));
        Manifest manifest = objects.manifest(copy.region(), copy.manifestKey(), backup.manifestSha256());
        RegionSettings region = topology.require("region", backup.region());
        String scratch = "meridian_restore_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Path file = properties.workDir().resolve("restore-test").resolve(backup.id() + ".dump");
        try {
            ObjectVerifier.Result fetched = objects.download(copy.region(), manifest, file, properties.downloadParts(), n -> { }, () -> false);
            if (!fetched.ok()) {
                return new Result(false, Instant.now(), "copy in " + copy.region() + " does not match its manifest: " + fetched.detail(), 0,
                        List.of());
            }
            // recorded before it exists: if this instance dies now, recovery drops it
            repository.scratch(backup.id(), scratch);
            databases.create(region, scratch);
            try (ToolProcess restore = tools.restore(region, scratch, file, properties.workDir().resolve("logs").resolve(scratch + ".log"))) {
                restore.awaitSuccess();
            }
            listeners.forEach(l -> l.entering("backup", backup.id(), "RESTORE_TEST_COMPARING"));
            List<String> differences = Databases.compare(manifest.contents(), databases.digests(region, scratch));
            boolean passed = differences.isEmpty();
            String detail = manifest.contents().isEmpty()
                    ? "restored without errors; no digests were captured at dump time (verification below RESTORE_TEST)"
                    : passed ? manifest.contents().size() + " tables match the row counts and content hashes taken at dump time"
                            : differences.size() + " tables differ";
            return new Result(passed, Instant.now(), detail, manifest.contents().size(), differences);
        } finally {
            try {
                databases.dropIfExists(region, scratch);
                repository.scratch(backup.id(), null);
            } catch (Exception e) {
                log.warn("Could not drop scratch database {}: {}", scratch, e.toString());
            }
            Files.deleteIfExists(file);
        }
    }

}
