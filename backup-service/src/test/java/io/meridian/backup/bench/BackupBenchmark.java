package io.meridian.backup.bench;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.springframework.util.unit.DataSize;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.ObjectLayout;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.postgres.Databases;
import io.meridian.backup.postgres.PgTools;
import io.meridian.backup.postgres.ToolProcess;
import io.meridian.backup.restore.ServerOnDataDirectory;
import io.meridian.backup.storage.BackupObjects;
import io.meridian.backup.storage.Hex;
import io.meridian.backup.storage.Manifest;
import io.meridian.backup.storage.StreamedUpload;
import io.meridian.backup.storage.ObjectStore;
import io.meridian.backup.storage.ObjectVerifier;
import io.meridian.backup.storage.UploadResult;
import io.meridian.backup.topology.RegionTopology;
import io.meridian.common.region.ResidencyZone;
import tools.jackson.databind.json.JsonMapper;

/**
 * Backup-service figures on the data {@code backup-peers.sh} leaves behind ({@code KEEP_DATA=1}),
 * using the service's own classes for every step (the streamed multipart upload, the manifest,
 * verification, the verified download, pg_restore -j, the swap-in), against s3proxy over HTTPS on
 * loopback started from the harness's jar and certificate, so that the S3 leg is the one pgBackRest
 * had. Steps, each timed wall-clock:
 * <ol>
 * <li>baseline {@code pg_dump -Fc > /dev/null} (same run, same data)</li>
 * <li>logical backup to S3 (pg_dump -Fc streamed into a multipart upload with SHA-256 per part, manifest; parts carry the
 * transit checksum {@code TRANSIT_CHECKSUM}, by default {@code Content-MD5} as in the service), compressed as the service
 * does by default, by pg_dump ({@code LOGICAL_COMPRESSION=PG_DUMP}, level {@code DUMP_COMPRESSION}, default 1 as in the service; 6 is pg_dump's own default), or
 * with {@code LOGICAL_COMPRESSION=ZSTD}: pg_dump -Z0 and zstd beside it ({@code ZSTD_LEVEL} 3, {@code ZSTD_WORKERS} 1)</li>
 * <li>verification of that object (re-read against the manifest)</li>
 * <li>baseline {@code pg_restore -j 2} from a local file ({@code pg_dump -Fc}'s own, default compression) into a fresh
 * database</li>
 * <li>logical restore: verified download (decompressed on the way when zstd), pg_restore -j 2 into a temporary database,
 * rename into place</li>
 * <li>physical backup to S3 (pg_basebackup tar stream, uncompressed, WAL fetched)</li>
 * <li>physical restore as the service does it: parts read in parallel, each checked before it is extracted into a staging
 * directory, PostgreSQL started on it until it is writable, (variant {@code read}) every table read, a clean stop, the move
 * into place; variant {@code old}: the path before (checked download to a file, tar -xf, start)</li>
 * <li>injected corruptions (bit flips, truncations, missing parts, a swapped object) checked by the verifier; for a physical
 * backup stored as part objects, damage done to those in the bucket (see {@link #physicalCorruptions})</li>
 * </ol>
 * Peak heap is sampled every 20 ms during the backups (heap in use, garbage included: G1 lets it grow to the cap before it
 * collects when the allocation rate is high), and the heap in use right after each collection is noted as well.
 *
 * <p>Environment: {@code SCRATCH} (the harness directory, default /tmp/anchor-backup), {@code PG_PORT}
 * (57001), {@code WARMUP} (1: an untimed 64 MB object through the S3 path first, see {@link #warmUp()}), {@code DB} (bench),
 * {@code REPS} (1), {@code S3_PORT} (57011), {@code ONLY} ({@code logical-backup}: just the
 * pg_dump / logical backup pairs; {@code logical-download}: those, then the first phase of a logical restore taken apart,
 * see {@link #downloadPhases}; {@code logical}: those, the logical restore pairs and the corruptions; {@code physical}: just the physical backup and restores; {@code physical-restore}: just the
 * restores, of the newest physical backup a previous run left), {@code TRANSIT_CHECKSUM} ({@code MD5}, the service's default;
 * {@code SHA256} or {@code NONE}), {@code RESTORE_VARIANTS}
 * ({@code new,read}: the restore with verifyContents false and with every table read; see the field),
 * {@code DOWNLOAD_PARTS} (9, the service's default: parts a restore reads at once), {@code RESTORE_JOBS} (2, the service's
 * default: our logical restore's {@code pg_restore -j}; the baseline always runs {@code -j 2}), {@code RESTORE_DIRECT_IO}
 * ({@code true}, the service's default: see {@code TarExtractor}), {@code PHYSICAL_LAYOUT} ({@code PARTS},
 * the service's default: part objects of {@code PARTS_PER_OBJECT} (3) parts each; {@code OBJECT}: one object from a multipart
 * upload). Each step also prints
 * the CPU seconds of this JVM, the tools it ran, s3proxy, the source cluster and the whole machine.
 */
public final class BackupBenchmark {

    private static final String REGION = "us-east-1";

    private final Path scratch = Path.of(env("SCRATCH", "/tmp/anchor-backup"));
    private final int pgPort = Integer.parseInt(env("PG_PORT", "57001"));
    private final String db = env("DB", "bench");
    private final int reps = Integer.parseInt(env("REPS", "1"));
    private final int s3Port = Integer.parseInt(env("S3_PORT", "57011"));
    /** {@code logical-backup}: only the pg_dump / logical backup pairs (REPS times, interleaved); {@code logical}: those and the
     *  logical restore pairs, no physical steps. */
    private final String only = env("ONLY", "all");
    /** Physical restore variants to time, comma-separated: {@code new} (the service's path), {@code read} (the same plus every
     *  table read, as verifyContents asks), {@code old} (the path before: checked download to a file, tar -xf, start). */
    private final List<String> restoreVariants = List.of(env("RESTORE_VARIANTS", "new,read").split(","));
    private final int downloadParts = Integer.parseInt(env("DOWNLOAD_PARTS", "9"));
    private final Path work = scratch.resolve("meridian");
    private final Path pgBin = Path.of("/usr/lib/postgresql/15/bin");
    private final Map<String, List<Double>> results = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();
    private final AtomicLong peakHeap = new AtomicLong();
    /** The largest heap in use right after a collection while sampling: what the backup holds live, without its garbage. */
    private final AtomicLong peakLive = new AtomicLong();
    private final AtomicBoolean sampling = new AtomicBoolean();

    private RegionSettings region;
    private ObjectStore store;
    private BackupObjects objects;
    private PgTools tools;
    private Databases databases;
    private BackupProperties properties;

    public static void main(String[] args) throws Exception {
        new BackupBenchmark().run();
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private void run() throws Exception {
        Files.createDirectories(work);
        exec(List.of("chown", "postgres:postgres", work.toString()));
        boolean startedSource = startSourceIfDown();
        Process s3 = startS3();
        try {
            wire();
            if (!"0".equals(env("WARMUP", "1"))) {
                warmUp();
            }
            Thread sampler = Thread.ofPlatform().daemon().start(this::sampleHeap);
            watchCollections();
            Map<String, Long> sourceCounts = rowCounts(db);
            List<Manifest> logical = new ArrayList<>();
            boolean physicalOnly = only.startsWith("physical");
            for (int r = 0; r < (physicalOnly ? 0 : reps); r++) {
                // the anchor as the harness runs it: pg_dump's own default compression, whatever ours is
                time("pg_dump -Fc > /dev/null", () -> {
                    plainDump(java.lang.ProcessBuilder.Redirect.DISCARD);
                    return null;
                });
                peakHeap.set(0);
                peakLive.set(0);
                sampling.set(true);
                Manifest m = time("meridian logical backup -> S3", () -> logicalBackup());
                sampling.set(false);
                record("peak heap during logical backup (MB)", peakHeap.get() / 1e6);
                record("peak heap after a collection during logical backup (MB)", peakLive.get() / 1e6);
                logical.add(m);
                notes.add("logical object " + m.size() + " bytes in " + m.parts().size() + " parts");
                ObjectVerifier.Result v = time("meridian verify logical copy (re-read)", () -> objects.verify(REGION, m));
                if (!v.ok()) {
                    throw new IllegalStateException("verification failed: " + v.detail());
                }
            }
            if ("logical-backup".equals(only)) {
                sampler.interrupt();
                report();
                return;
            }
            if ("logical-download".equals(only)) {
                downloadPhases(logical.getLast());
                sampler.interrupt();
                report();
                return;
            }
            Manifest m = physicalOnly ? null : logical.getLast();
            Path local = work.resolve("local.dump");
            if (m != null) {
                // the baseline restore's file is what pg_dump -Fc writes by itself (gzip inside), as in the harness
                plainDump(java.lang.ProcessBuilder.Redirect.to(local.toFile()));
            }
            for (int r = 0; r < (physicalOnly ? 0 : reps); r++) {
                databases.dropIfExists(region, "bench_baseline");
                databases.create(region, "bench_baseline");
                checkpoint();
                time("pg_restore -j2 from local file (fresh db)", () -> {
                    try (ToolProcess restore = tools.restore(region, "bench_baseline", local, work.resolve("restore-baseline.log"))) {
                        restore.awaitSuccess();
                    }
                    return null;
                });
                check(sourceCounts, rowCounts("bench_baseline"), "baseline restore");
                databases.dropIfExists(region, "bench_baseline");
                databases.dropIfExists(region, "bench_restored");
                checkpoint();
                time("meridian logical restore from S3 (verify + pg_restore -j" + properties.restoreJobs() + " + swap-in)", () -> {
                    logicalRestore(m, "bench_restored");
                    return null;
                });
                check(sourceCounts, rowCounts("bench_restored"), "meridian restore");
                databases.dropIfExists(region, "bench_restored");
            }
            Files.deleteIfExists(local);

            if ("logical".equals(only)) {
                corruptions(logical);
                sampler.interrupt();
                report();
                return;
            }
            Manifest physical = "physical-restore".equals(only) ? latestPhysical() : null;
            int physicalBackups = physical != null ? 0 : reps;
            for (int r = 0; r < physicalBackups; r++) {
                checkpoint();
                peakHeap.set(0);
                peakLive.set(0);
                sampling.set(true);
                physical = time("meridian physical backup -> S3 (pg_basebackup, uncompressed)", () -> physicalBackup());
                sampling.set(false);
                record("peak heap during physical backup (MB)", peakHeap.get() / 1e6);
                record("peak heap after a collection during physical backup (MB)", peakLive.get() / 1e6);
                notes.add("physical object " + physical.size() + " bytes in " + physical.parts().size() + " parts");
            }
            for (int r = 0; r < reps; r++) {
                Manifest p = physical;
                Path dir = work.resolve("pgdata-restored");
                for (String variant : restoreVariants) {
                    // the previous restore's directories go before the clock starts, as the harness removes pgBackRest's
                    deleteTree(dir);
                    deleteTree(dir.resolveSibling("." + dir.getFileName() + ".restoring-bench"));
                    checkpoint();
                    switch (variant) {
                        case "old" -> {
                            String name = "physical restore, before (checked download to a file, tar -xf, start, recovery)";
                            record(name, timeSeconds(name, () -> physicalRestore(p, dir)));
                            check(sourceCounts, rowCountsOn(57003, db), "physical restore (before)");
                            stopRestored(dir);
                        }
                        case "new", "read" -> {
                            boolean read = variant.equals("read");
                            String name = "meridian physical restore from S3 (parallel checked parts extracted to staging + start + recovery"
                                    + " + clean stop" + (read ? " + every table read" : "") + ")";
                            record(name, timeSeconds(name, () -> physicalRestoreAsService(p, dir, read)));
                            startRestored(dir);
                            check(sourceCounts, rowCountsOn(57003, db), "physical restore (" + variant + ")");
                            stopRestored(dir);
                        }
                        default -> throw new IllegalArgumentException("RESTORE_VARIANTS: " + variant);
                    }
                }
            }

            if (physical.partObjects()) {
                physicalCorruptions(physical);
            }
            if (!physicalOnly) {
                corruptions(logical);
            }
            sampler.interrupt();
        } finally {
            s3.destroy();
            s3.waitFor(20, TimeUnit.SECONDS);
            if (startedSource) {
                exec(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", pgBin.resolve("pg_ctl").toString(), "-D",
                        scratch.resolve("pgdata-src").toString(), "-m", "fast", "-w", "stop"));
            }
        }
        report();
    }

    // ---------------------------------------------------------------------------------------------

    /** Starts the harness's kept source cluster (archiving off: pgBackRest's repositories are gone) unless it runs. */
    private boolean startSourceIfDown() throws Exception {
        try (var socket = new java.net.Socket("127.0.0.1", pgPort)) {
            return false;
        } catch (IOException e) {
            exec(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", pgBin.resolve("pg_ctl").toString(), "-D",
                    scratch.resolve("pgdata-src").toString(), "-l", work.resolve("pg-src.log").toString(), "-w", "-t", "600", "-o",
                    "-p " + pgPort + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + scratch.resolve("run")
                            + " -c archive_mode=off", "start"));
            return true;
        }
    }

    private long s3Pid;

    private Process startS3() throws Exception {
        Path jar;
        try (Stream<Path> files = Files.list(scratch.resolve("tools"))) {
            jar = files.filter(p -> p.getFileName().toString().startsWith("s3proxy")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no s3proxy jar under " + scratch.resolve("tools") + " (run backup-peers.sh with KEEP_DATA=1)"));
        }
        Path data = work.resolve("s3-data");
        Files.createDirectories(data.resolve("meridian-bench"));
        Path conf = work.resolve("s3proxy.conf");
        Files.writeString(conf, """
                s3proxy.secure-endpoint=https://127.0.0.1:%d
                s3proxy.keystore-path=%s
                s3proxy.keystore-password=anchorpass
                s3proxy.authorization=aws-v2-or-v4
                s3proxy.identity=anchor
                s3proxy.credential=anchor-secret-key
                jclouds.provider=filesystem
                jclouds.filesystem.basedir=%s
                """.formatted(s3Port, scratch.resolve("s3/s3.p12"), data));
        Path trust = work.resolve("trust.p12");
        Files.deleteIfExists(trust);
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt",
                "-alias", "s3", "-file", scratch.resolve("s3/s3.crt").toString(), "-keystore", trust.toString(), "-storetype", "PKCS12",
                "-storepass", "changeit").redirectErrorStream(true).start();
        keytool.getInputStream().transferTo(OutputDiscard.INSTANCE);
        if (keytool.waitFor() != 0) {
            throw new IllegalStateException("keytool failed");
        }
        System.setProperty("javax.net.ssl.trustStore", trust.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "changeit");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        List<String> s3Command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        // S3_JAVA_OPTS: extra JVM flags for s3proxy (a flight recording, say)
        s3Command.addAll(List.of(env("S3_JAVA_OPTS", "").split(" ")).stream().filter(o -> !o.isBlank()).toList());
        s3Command.addAll(List.of("-jar", jar.toString(), "--properties", conf.toString()));
        ProcessBuilder s3Builder = new ProcessBuilder(s3Command).redirectErrorStream(true).redirectOutput(work.resolve("s3proxy.log").toFile());
        s3Builder.environment().put("LOG_LEVEL", "warn");
        Process s3 = s3Builder.start();
        s3Pid = s3.pid();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (var socket = new java.net.Socket("127.0.0.1", s3Port)) {
                return s3;
            } catch (IOException e) {
                TimeUnit.MILLISECONDS.sleep(200); // waiting for the port to open (a real condition, polled)
            }
        }
        s3.destroy();
        throw new IllegalStateException("s3proxy did not open port " + s3Port);
    }

    private void wire() {
        region = new RegionSettings(ResidencyZone.US, 0, 0, "127.0.0.1", pgPort, "postgres", "meridian-bench", null, null, work);
        properties = new BackupProperties(Map.of(REGION, region),
                new BackupProperties.S3(URI.create("https://127.0.0.1:" + s3Port), "us-east-1", true, "anchor", "anchor-secret-key",
                        BackupProperties.TransitChecksum.valueOf(env("TRANSIT_CHECKSUM", "MD5"))),
                DataSize.ofMegabytes(8), 3, downloadParts, work, pgBin,
                BackupProperties.LogicalCompression.valueOf(env("LOGICAL_COMPRESSION", "PG_DUMP")),
                Integer.parseInt(env("DUMP_COMPRESSION", "1")), Integer.parseInt(env("ZSTD_LEVEL", "3")),
                Integer.parseInt(env("ZSTD_WORKERS", "1")), Integer.parseInt(env("RESTORE_JOBS", "2")), java.time.Duration.ofSeconds(5), java.time.Duration.ofMinutes(10),
                java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(5), "bench", true, 2, null, BackupProperties.ObjectLayout.valueOf(env("PHYSICAL_LAYOUT", "PARTS")),
                Integer.parseInt(env("PARTS_PER_OBJECT", "3")), Boolean.parseBoolean(env("RESTORE_DIRECT_IO", "true")));
        RegionTopology topology = new RegionTopology(properties);
        store = new ObjectStore(properties, topology);
        objects = new BackupObjects(store, JsonMapper.builder().build());
        tools = new PgTools(properties);
        databases = new Databases();
    }

    private Manifest logicalBackup() throws Exception {
        UUID id = UUID.randomUUID();
        String key = "backups/" + REGION + "/" + db + "/" + id + "/dump.pgcustom";
        StreamedUpload upload = store.upload(REGION, key, false);
        try (Databases.Snapshot snapshot = databases.snapshot(region, db);
                ToolProcess dump = tools.dump(region, db, snapshot.id(), work.resolve(id + ".log"))) {
            long t0 = System.nanoTime();
            String compression = tools.dumpInto(dump, upload);
            dump.awaitSuccess();
            long t1 = System.nanoTime();
            UploadResult result = upload.complete();
            notes.add(String.format("logical backup phases: pg_dump streamed into the upload %.2f s; last parts + complete %.2f s (%s)",
                    (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9, compression));
            System.out.println("  " + notes.getLast());
            return writeManifest(id, "LOGICAL", key, result, snapshot.lsn(), compression, ObjectLayout.OBJECT);
        } catch (Exception e) {
            upload.abort();
            throw e;
        }
    }

    private Manifest physicalBackup() throws Exception {
        UUID id = UUID.randomUUID();
        String key = "backups/" + REGION + "/cluster/" + id + "/base.tar";
        StreamedUpload upload = store.upload(REGION, key, (int) properties.partSize().toBytes(), false, properties.physicalLayout(),
                properties.partsPerObject());
        try (ToolProcess backup = tools.baseBackup(region, work.resolve(id + ".log"))) {
            long t0 = System.nanoTime();
            backup.stdout().transferTo(upload);
            backup.awaitSuccess();
            long t1 = System.nanoTime();
            UploadResult result = upload.complete();
            long t2 = System.nanoTime();
            notes.add(String.format("physical backup phases: pg_basebackup streamed into the upload %.2f s; last parts + complete %.2f s",
                    (t1 - t0) / 1e9, (t2 - t1) / 1e9));
            System.out.println("  " + notes.getLast());
            return writeManifest(id, "PHYSICAL", key, result, null, null, properties.physicalLayout());
        } catch (Exception e) {
            upload.abort();
            throw e;
        }
    }

    private Manifest writeManifest(UUID id, String kind, String key, UploadResult result, String lsn, String compression,
            ObjectLayout layout) {
        Map<String, String> versions = new java.util.LinkedHashMap<>();
        versions.put("pg_dump", tools.version("pg_dump"));
        if (compression != null) {
            versions.put(io.meridian.backup.storage.DumpCompression.KEY, compression);
        }
        Manifest manifest = new Manifest(io.meridian.backup.storage.Checksums.COMPOSITE_FORMAT, id, kind, REGION, db, "US", Instant.now(), key,
                result.size(), result.sha256(), properties.partSize().toBytes(), result.parts(), lsn, Instant.now(),
                versions, List.of(), null, io.meridian.backup.storage.Checksums.COMPOSITE, layout,
                layout == ObjectLayout.PARTS ? properties.partsPerObject() : null);
        byte[] bytes = objects.bytes(manifest);
        store.put(REGION, key.substring(0, key.lastIndexOf('/') + 1) + "manifest.json", bytes, false);
        Manifest checked = objects.manifest(REGION, key.substring(0, key.lastIndexOf('/') + 1) + "manifest.json", Hex.sha256(bytes));
        return checked;
    }

    private void logicalRestore(Manifest m, String target) throws Exception {
        Path file = work.resolve("restore").resolve(m.backupId() + ".dump");
        long t0 = System.nanoTime();
        ObjectVerifier.Result fetched = objects.download(REGION, m, file, properties.downloadParts(), n -> { }, () -> false);
        if (!fetched.ok()) {
            throw new IllegalStateException(fetched.detail());
        }
        long t1 = System.nanoTime();
        String temporary = "meridian_restoring_bench";
        databases.dropIfExists(region, temporary);
        databases.create(region, temporary);
        try (ToolProcess restore = tools.restore(region, temporary, file, work.resolve("restore.log"))) {
            restore.awaitSuccess();
        }
        long t2 = System.nanoTime();
        databases.swapIn(region, temporary, target, "meridian_retired_bench");
        notes.add(String.format("logical restore phases: verified download %.2f s (%d MB file); pg_restore -j" + properties.restoreJobs()
                + " %.2f s; swap-in %.2f s",
                (t1 - t0) / 1e9, Files.size(file) >> 20, (t2 - t1) / 1e9, (System.nanoTime() - t2) / 1e9));
        System.out.println("  " + notes.getLast());
        Files.deleteIfExists(file);
    }

    /**
     * {@code ONLY=logical-download}: the first phase of a logical restore taken apart, on the newest logical object, each
     * step {@code DOWNLOAD_REPS} times (4) in turn so that the machine's drift falls on all alike: the parts fetched and
     * checked into nothing; the same decompressed (when zstd) into nothing; the service's download to a file
     * ({@link BackupObjects#download}); and, for zstd, the same without the hand-off thread (decompressed, laid out and
     * written on the reader's one writing thread).
     */
    private void downloadPhases(Manifest m) throws Exception {
        boolean zstd = io.meridian.backup.storage.DumpCompression.isZstd(m.toolVersions());
        Path file = work.resolve("restore").resolve(m.backupId() + ".dump");
        Files.createDirectories(file.getParent());
        int rounds = Integer.parseInt(env("DOWNLOAD_REPS", "4"));
        for (int r = 0; r < rounds; r++) {
            time("download phase: parts fetched and checked, discarded", () -> expectOk(io.meridian.backup.storage.PartReader.read(store,
                    REGION, m, properties.downloadParts(), java.io.OutputStream.nullOutputStream(), n -> { }, () -> false)));
            if (zstd) {
                time("download phase: fetched, checked, decompressed, discarded", () -> {
                    io.meridian.backup.storage.DumpCompression.Inflating inflating =
                            io.meridian.backup.storage.DumpCompression.inflating(java.nio.channels.Channels.newChannel(java.io.OutputStream.nullOutputStream()));
                    try {
                        expectOk(io.meridian.backup.storage.PartReader.read(store, REGION, m, properties.downloadParts(), inflating, n -> { }, () -> false));
                        inflating.close();
                    } finally {
                        inflating.release();
                    }
                    return null;
                });
            }
            // the two ways of writing the file take turns going first: a file's pages are new memory, and what the
            // previous step freed is cheaper to take again on this machine (docs/benchmarks.md)
            List<Step<Void>> writes = new ArrayList<>();
            writes.add(() -> time("download phase: the service's download to a file", () -> expectOk(objects.download(REGION, m, file,
                    properties.downloadParts(), n -> { }, () -> false))));
            if (zstd) {
                writes.add(() -> time("download phase: decompressed, laid out and written on one thread (no hand-off)", () -> {
                    try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE)) {
                        io.meridian.backup.storage.ArchiveRechunker layout = new io.meridian.backup.storage.ArchiveRechunker(channel);
                        io.meridian.backup.storage.DumpCompression.Inflating inflating = io.meridian.backup.storage.DumpCompression.inflating(layout);
                        try {
                            expectOk(io.meridian.backup.storage.PartReader.read(store, REGION, m, properties.downloadParts(), inflating, n -> { },
                                    () -> false));
                            inflating.close();
                            layout.finish();
                        } finally {
                            inflating.release();
                        }
                    }
                    return null;
                }));
                if (r % 2 == 1) {
                    java.util.Collections.reverse(writes);
                }
            }
            for (Step<Void> write : writes) {
                write.run();
                Files.deleteIfExists(file);
            }
        }
    }

    private static Void expectOk(ObjectVerifier.Result result) {
        if (!result.ok()) {
            throw new IllegalStateException(result.detail());
        }
        return null;
    }

    private Void physicalRestore(Manifest m, Path dir) throws Exception {
        Path file = work.resolve("restore").resolve(m.backupId() + ".tar");
        ObjectVerifier.Result fetched = objects.download(REGION, m, file, properties.downloadParts(), n -> { }, () -> false);
        if (!fetched.ok()) {
            throw new IllegalStateException(fetched.detail());
        }
        deleteTree(dir);
        Files.createDirectories(dir);
        exec(List.of("tar", "-xf", file.toString(), "-C", dir.toString()));
        Files.deleteIfExists(file);
        exec(List.of("chmod", "700", dir.toString()));
        exec(List.of("chown", "-R", "postgres:postgres", dir.toString()));
        Files.deleteIfExists(dir.resolve("postmaster.pid"));
        exec(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", pgBin.resolve("pg_ctl").toString(), "-D",
                dir.toString(), "-l", work.resolve("restored.log").toString(), "-w", "-t", "600", "-o",
                "-p 57003 -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + scratch.resolve("run") + " -c archive_mode=off", "start"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:57003/postgres", "postgres", "");
                    Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return null;
                }
            } catch (java.sql.SQLException e) {
                // still starting
            }
            TimeUnit.MILLISECONDS.sleep(100); // polling the server's state
        }
        throw new IllegalStateException("restored cluster did not open");
    }

    /**
     * The service's physical restore (Restores.run and restoreDirectory) with the same classes: parts read in parallel, each
     * checked before it is extracted into a staging directory, then PostgreSQL started on it until it is writable (with
     * {@code readTables}, every table read), stopped cleanly, and the staging directory moved into place.
     */
    private Void physicalRestoreAsService(Manifest m, Path dir, boolean readTables) throws Exception {
        deleteTree(dir);
        Path staging = dir.resolveSibling("." + dir.getFileName() + ".restoring-bench");
        deleteTree(staging);
        long t0 = System.nanoTime();
        BackupObjects.Extracted extracted = objects.extract(REGION, m, staging, properties.downloadParts(), properties.restoreDirectIo(), n -> { }, () -> false);
        if (!extracted.check().ok()) {
            throw new IllegalStateException(extracted.check().detail());
        }
        long t1 = System.nanoTime();
        java.nio.file.Files.setPosixFilePermissions(staging, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        exec(List.of("chown", "-R", "postgres:postgres", staging.toString()));
        long t2 = System.nanoTime();
        long t3;
        long t4;
        try (ServerOnDataDirectory server = ServerOnDataDirectory.start(staging, pgBin, work.resolve("restored-proof.log"))) {
            if (!server.writable()) {
                throw new IllegalStateException("restored server still in recovery");
            }
            t3 = System.nanoTime();
            List<ServerOnDataDirectory.DatabaseContents> contents = server.databases(readTables);
            t4 = System.nanoTime();
            if (contents.stream().noneMatch(d -> d.name().equals(db))) {
                throw new IllegalStateException("database " + db + " missing from the restored cluster");
            }
        }
        long t5 = System.nanoTime();
        java.nio.file.Files.move(staging, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        io.meridian.backup.storage.LocalFiles.syncDirectory(dir.getParent());
        notes.add("parts hashed with: " + io.meridian.backup.storage.PartDigests.description());
        // the phases' bounds on CLOCK_MONOTONIC (System.nanoTime), to cut a `perf record -k CLOCK_MONOTONIC` profile by phase
        notes.add(String.format("physical restore phases: parts read, checked and extracted %.2f s (%d files, %d bytes); chmod/chown %.2f s; "
                + "start + recovery until writable %.2f s; databases%s %.2f s; clean stop %.2f s; monotonic %.3f,%.3f,%.3f", (t1 - t0) / 1e9,
                extracted.files(), extracted.fileBytes(), (t2 - t1) / 1e9, (t3 - t2) / 1e9, readTables ? " and every table read" : " listed",
                (t4 - t3) / 1e9, (t5 - t4) / 1e9, t0 / 1e9, t1 / 1e9, t5 / 1e9));
        System.out.println("  " + notes.getLast());
        return null;
    }

    private void startRestored(Path dir) throws Exception {
        exec(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", pgBin.resolve("pg_ctl").toString(), "-D",
                dir.toString(), "-l", work.resolve("restored.log").toString(), "-w", "-t", "600", "-o",
                "-p 57003 -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + scratch.resolve("run") + " -c archive_mode=off", "start"));
    }

    /**
     * Not timed: one 64 MB object (and, when physical backups are stored as part objects, 64 MB of those too) through the upload, the verifier and the part reader, so that the S3 client, TLS sessions,
     * digests and s3proxy's request path are loaded and compiled before the first timed step. backup-service is a long-running
     * process (its S3 client lives as long as it does) and a real S3 endpoint is never cold; without this the first timed
     * backup carried several CPU-seconds of class loading and JIT compilation in both JVMs (WARMUP=0 measures that).
     */
    private void warmUp() throws Exception {
        long t0 = System.nanoTime();
        byte[] chunk = new byte[1 << 20];
        new Random(5).nextBytes(chunk);
        for (ObjectLayout layout : new java.util.LinkedHashSet<>(List.of(ObjectLayout.OBJECT, properties.physicalLayout()))) {
            UUID id = UUID.randomUUID();
            String key = "warm-up/" + id + "/object";
            StreamedUpload upload = store.upload(REGION, key, (int) properties.partSize().toBytes(), false, layout,
                    properties.partsPerObject());
            for (int i = 0; i < 64; i++) {
                upload.write(chunk, 0, chunk.length);
            }
            Manifest m = writeManifest(id, "WARMUP", key, upload.complete(), null, null, layout);
            if (!objects.verify(REGION, m).ok()) {
                throw new IllegalStateException("warm-up object does not verify (" + layout + ")");
            }
            ObjectVerifier.Result read = io.meridian.backup.storage.PartReader.read(store, REGION, m, properties.downloadParts(),
                    OutputDiscard.INSTANCE, n -> { }, () -> false);
            if (!read.ok()) {
                throw new IllegalStateException("warm-up object does not read back (" + layout + "): " + read.detail());
            }
        }
        store.deletePrefix(REGION, "warm-up/");
        notes.add(String.format("warm-up (not timed): 64 MB uploaded, verified and read back in %.1f s", (System.nanoTime() - t0) / 1e9));
    }

    /** The newest physical backup a previous run of this benchmark left in the bucket (ONLY=physical-restore). */
    private Manifest latestPhysical() throws IOException {
        Path clusters = work.resolve("s3-data/meridian-bench/backups").resolve(REGION).resolve("cluster");
        Path newest;
        try (Stream<Path> ids = Files.list(clusters)) {
            newest = ids.filter(d -> Files.exists(d.resolve("manifest.json")))
                    .max(Comparator.comparing(d -> d.resolve("manifest.json").toFile().lastModified())).orElseThrow();
        }
        String key = "backups/" + REGION + "/cluster/" + newest.getFileName() + "/manifest.json";
        byte[] bytes = store.get(REGION, key).orElseThrow();
        return objects.manifest(REGION, key, Hex.sha256(bytes));
    }

    private void stopRestored(Path dir) throws Exception {
        exec(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", pgBin.resolve("pg_ctl").toString(), "-D",
                dir.toString(), "-m", "fast", "-w", "stop"));
        deleteTree(dir);
    }

    /**
     * Corruptions of a physical backup's part objects, made in the bucket and undone after each check: a flipped bit, an
     * object cut short, one missing, another one in its place, a stray object beside them. Each is checked by the verifier as
     * the service runs it (the listing first, then the bytes up to the damaged part).
     */
    private void physicalCorruptions(Manifest m) throws Exception {
        String second = m.partObjectKey(2);
        byte[] original = store.get(REGION, second).orElseThrow();
        byte[] flipped = original.clone();
        flipped[original.length / 3] ^= 0x04;
        String stray = m.partObjectKey(m.objectCount() + 1);
        Map<String, Runnable> damages = new LinkedHashMap<>();
        damages.put("bit flipped in part object 2", () -> store.put(REGION, second, flipped, false));
        damages.put("part object 2 cut short by one byte", () -> store.put(REGION, second, Arrays.copyOf(original, original.length - 1), false));
        damages.put("part object 2 missing", () -> store.delete(REGION, second));
        damages.put("part object 3 in part object 2's place", () -> store.put(REGION, second, store.get(REGION, m.partObjectKey(3)).orElseThrow(),
                false));
        damages.put("a stray object beside the part objects", () -> store.put(REGION, stray, new byte[] {1}, false));
        int detected = 0;
        for (var damage : damages.entrySet()) {
            damage.getValue().run();
            ObjectVerifier.Result result = objects.verify(REGION, m);
            store.put(REGION, second, original, false);
            store.delete(REGION, stray);
            notes.add("physical, " + damage.getKey() + ": " + (result.ok() ? "MISSED" : "detected (" + result.detail() + ")"));
            detected += result.ok() ? 0 : 1;
        }
        if (!objects.verify(REGION, m).ok()) {
            throw new IllegalStateException("the physical backup does not verify after the corruptions were undone");
        }
        record("physical corruptions detected (%)", 100.0 * detected / damages.size());
    }

    /** Injected corruptions, each checked by re-reading the stored object through a damaging stream. */
    private void corruptions(List<Manifest> logical) throws Exception {
        Manifest m = logical.getLast();
        Random random = new Random(20261122);
        int injected = 0;
        int detected = 0;
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            long at = (long) (random.nextDouble() * m.size());
            int bit = random.nextInt(8);
            boolean found = !verifyThrough(m, in -> new Damage(in, at, bit, -1, -1, -1));
            lines.add("bit " + bit + " flipped at byte " + at + ": " + (found ? "detected" : "MISSED"));
            injected++;
            detected += found ? 1 : 0;
        }
        for (long cut : List.of(m.size() - 1, m.size() / 2)) {
            boolean found = !verifyThrough(m, in -> new Damage(in, -1, 0, cut, -1, -1));
            lines.add("truncated to " + cut + " bytes: " + (found ? "detected" : "MISSED"));
            injected++;
            detected += found ? 1 : 0;
        }
        if (m.parts().size() >= 3) {
            long from = m.partSize();
            boolean found = !verifyThrough(m, in -> new Damage(in, -1, 0, -1, from, from + m.partSize()));
            lines.add("part 2 missing: " + (found ? "detected" : "MISSED"));
            injected++;
            detected += found ? 1 : 0;
        }
        // the object of another backup of the same database (pg_dump output differs run to run) in place of this one
        Manifest other = logical.size() >= 2 ? logical.getFirst() : logicalBackup();
        boolean swapped = !verify(store.open(REGION, other.objectKey()).orElseThrow(), m);
        lines.add("object swapped for another backup of the same database: " + (swapped ? "detected" : "MISSED"));
        injected++;
        detected += swapped ? 1 : 0;
        notes.addAll(lines);
        record("corruptions detected (%)", 100.0 * detected / injected);
        notes.add("corruptions injected: " + injected + ", detected: " + detected);
    }

    private interface Wrap {
        InputStream wrap(InputStream in);
    }

    private boolean verifyThrough(Manifest m, Wrap wrap) throws IOException {
        return verify(wrap.wrap(store.open(REGION, m.objectKey()).orElseThrow()), m);
    }

    private static boolean verify(InputStream in, Manifest m) throws IOException {
        try (in) {
            return ObjectVerifier.verify(in, m, null, n -> { }, () -> false).ok();
        }
    }

    /** A stream that flips one bit, ends early or skips a range. */
    private static final class Damage extends FilterInputStream {
        private final long flipAt;
        private final int bit;
        private final long endAt;
        private final long skipFrom;
        private final long skipTo;
        private long position;

        Damage(InputStream in, long flipAt, int bit, long endAt, long skipFrom, long skipTo) {
            super(in);
            this.flipAt = flipAt;
            this.bit = bit;
            this.endAt = endAt;
            this.skipFrom = skipFrom;
            this.skipTo = skipTo;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (position == skipFrom) {
                in.skipNBytes(skipTo - skipFrom);
                position = skipTo;
            }
            if (endAt >= 0 && position >= endAt) {
                return -1;
            }
            if (endAt >= 0) {
                len = (int) Math.min(len, endAt - position);
            }
            if (skipFrom >= 0 && position < skipFrom) {
                len = (int) Math.min(len, skipFrom - position);
            }
            int n = in.read(b, off, len);
            if (n > 0 && flipAt >= position && flipAt < position + n) {
                b[off + (int) (flipAt - position)] ^= (byte) (1 << bit);
            }
            if (n > 0) {
                position += n;
            }
            return n;
        }
    }

    // ---------------------------------------------------------------------------------------------

    private interface Step<T> {
        T run() throws Exception;
    }

    private <T> T time(String name, Step<T> step) throws Exception {
        Cpu before = cpu();
        long t0 = System.nanoTime();
        T result = step.run();
        record(name, (System.nanoTime() - t0) / 1e9);
        cpuNote(name, before, cpu());
        return result;
    }

    private double timeSeconds(String name, Step<?> step) throws Exception {
        Cpu before = cpu();
        long t0 = System.nanoTime();
        step.run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        cpuNote(name, before, cpu());
        return seconds;
    }

    /**
     * CPU seconds so far: this JVM, its reaped children (pg_dump, pg_basebackup, tar, pg_ctl: counted when they exit), the
     * s3proxy child (live), the source cluster (postmaster with its exited and live backends) and the whole machine.
     */
    private record Cpu(double jvm, double jvmSystem, long jvmFaults, double children, double s3, double s3System, double postgres, double machine) {
    }

    private static final double HZ = 100.0;

    private Cpu cpu() {
        long[] self = procStat("self");
        long[] s3 = s3Pid > 0 ? procStat(Long.toString(s3Pid)) : new long[4];
        long pg = 0;
        try {
            String pid = Files.readAllLines(scratch.resolve("pgdata-src/postmaster.pid")).getFirst().strip();
            long[] master = procStat(pid);
            pg = master[0] + master[1] + master[2] + master[3];
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                    long[] child = procStat(p.getFileName().toString());
                    if (child.length > 4 && Long.toString(child[4]).equals(pid)) {
                        pg += child[0] + child[1];
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the source cluster is not running: no postgres CPU
        }
        double machine = 0;
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            machine = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]);
        } catch (IOException e) {
            // no /proc/stat
        }
        return new Cpu((self[0] + self[1]) / HZ, self[1] / HZ, self[5], (self[2] + self[3]) / HZ, (s3[0] + s3[1]) / HZ, s3[1] / HZ, pg / HZ, machine / HZ);
    }

    /** utime, stime, cutime, cstime, ppid, minor page faults of /proc/PID/stat (zeros when it is gone). */
    private static long[] procStat(String pid) {
        try {
            String stat = Files.readString(Path.of("/proc", pid, "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12]), Long.parseLong(f[13]), Long.parseLong(f[14]), Long.parseLong(f[1]),
                Long.parseLong(f[7])};
        } catch (IOException | RuntimeException e) {
            return new long[6];
        }
    }

    private void cpuNote(String name, Cpu a, Cpu b) {
        double jvm = b.jvm() - a.jvm();
        double children = b.children() - a.children();
        double s3 = b.s3() - a.s3();
        double pg = b.postgres() - a.postgres();
        double machine = b.machine() - a.machine();
        // the kernel's share (system time: socket reads, page-cache writes) of the JVM's and s3proxy's CPU, in parentheses
        String line = String.format("cpu %s: jvm %.1f s (sys %.1f, %d page faults), tools %.1f s, s3proxy %.1f s (sys %.1f), source postgres %.1f s; machine %.1f s,"
                + " of which other %.1f s", name, jvm, b.jvmSystem() - a.jvmSystem(), b.jvmFaults() - a.jvmFaults(), children, s3, b.s3System() - a.s3System(), pg, machine,
                machine - jvm - children - s3 - pg);
        System.out.println("  " + line);
        notes.add(line);
    }

    private void record(String name, double value) {
        results.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        System.out.printf("  %-75s %10.2f%n", name, value);
    }

    /** Notes the heap in use after every collection (all pools) into {@link #peakLive} while sampling. */
    private void watchCollections() {
        // the heap's pools only: a collection's report covers every pool (metaspace and code cache too)
        java.util.Set<String> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .map(MemoryPoolMXBean::getName).collect(java.util.stream.Collectors.toSet());
        for (var collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((javax.management.NotificationEmitter) collector).addNotificationListener((notification, handback) -> {
                if (sampling.get() && notification.getType().equals(
                        com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
                    var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                            (javax.management.openmbean.CompositeData) notification.getUserData());
                    long after = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream().filter(e -> heap.contains(e.getKey()))
                            .mapToLong(e -> e.getValue().getUsed()).sum();
                    peakLive.accumulateAndGet(after, Math::max);
                }
            }, null, null);
        }
    }

    private void sampleHeap() {
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP).toList();
        while (!Thread.currentThread().isInterrupted()) {
            if (sampling.get()) {
                long used = pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
                peakHeap.accumulateAndGet(used, Math::max);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private Map<String, Long> rowCounts(String database) throws Exception {
        return rowCountsOn(pgPort, database);
    }

    private static Map<String, Long> rowCountsOn(int port, String database) throws Exception {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres", "");
                Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT quote_ident(relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    + "WHERE n.nspname = 'public' AND relkind IN ('r','p') ORDER BY 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + t)) {
                    rs.next();
                    counts.put(t, rs.getLong(1));
                }
            }
        }
        return counts;
    }

    private void check(Map<String, Long> expected, Map<String, Long> actual, String what) {
        if (!expected.equals(actual)) {
            throw new IllegalStateException(what + ": row counts differ: " + actual + " vs " + expected);
        }
        notes.add(what + ": row counts of " + expected.size() + " tables match the source");
    }

    /**
     * Before each timed step, as the anchor harness does before each of its own: a checkpoint of the source, then
     * {@code sync}, so that no step pays for writing back what the one before it left dirty (a physical backup leaves 2.2 GB in
     * s3proxy's files, which the restore right after it otherwise flushed while it ran).
     */
    private void checkpoint() throws Exception {
        try (Connection c = databases.connect(region, "postgres"); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        }
        exec(List.of("sync"));
    }

    /** {@code pg_dump -Fc} of the bench database with pg_dump's default compression, stdout to {@code out}. */
    private void plainDump(java.lang.ProcessBuilder.Redirect out) throws Exception {
        Process dump = new ProcessBuilder(tools.bin().resolve("pg_dump").toString(), "-Fc", "-h", "127.0.0.1", "-p", Integer.toString(pgPort),
                "-U", "postgres", "-w", "-d", db).redirectOutput(out).redirectError(work.resolve("dump-plain.log").toFile()).start();
        if (dump.waitFor() != 0) {
            throw new IllegalStateException("pg_dump -Fc failed: " + Files.readString(work.resolve("dump-plain.log")));
        }
    }

    private static void exec(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private void report() {
        System.out.println();
        System.out.println("BACKUP BENCHMARK (" + Instant.now() + ", database " + db + " on 127.0.0.1:" + pgPort + ", reps " + reps
                + ", max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB)");
        results.forEach((name, values) -> System.out.printf("%-75s median %10.2f  all %s%n", name, median(values), values));
        if (!results.containsKey("pg_dump -Fc > /dev/null")) {
            notes.forEach(n -> System.out.println("note: " + n));
            return;
        }
        double dump = median(results.get("pg_dump -Fc > /dev/null"));
        double ours = median(results.get("meridian logical backup -> S3"));
        System.out.printf("RATIOS logical backup/pg_dump->null %.2fx (goal <= 1.05)%n", ours / dump);
        if (results.containsKey("pg_restore -j2 from local file (fresh db)")) {
            double restore = median(results.get("pg_restore -j2 from local file (fresh db)"));
            double ourRestore = median(results.get("meridian logical restore from S3 (verify + pg_restore -j" + properties.restoreJobs() + " + swap-in)"));
            System.out.printf("RATIOS logical restore/pg_restore -j2 %.2fx (goal <= 1.1)%n", ourRestore / restore);
        }
        notes.forEach(n -> System.out.println("note: " + n));
    }

    /** An output stream that drops everything. */
    private static final class OutputDiscard extends java.io.OutputStream {
        static final OutputDiscard INSTANCE = new OutputDiscard();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
