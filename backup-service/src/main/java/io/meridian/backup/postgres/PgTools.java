package io.meridian.backup.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.storage.DumpCompression;

/**
 * Runs the PostgreSQL client tools against a region's cluster: {@code pg_dump -Fc} and
 * {@code pg_basebackup -Ft -D -} with their output as a stream, {@code pg_restore -j} from a
 * verified local file. Arguments are a list (no shell); names reaching here are already checked by
 * {@link io.meridian.backup.topology.Names}.
 */
@Component
public class PgTools {

    private final BackupProperties properties;
    private final Path bin;
    private final Map<String, String> versions = new ConcurrentHashMap<>();

    public PgTools(BackupProperties properties) {
        this.properties = properties;
        this.bin = properties.pgBin() != null ? properties.pgBin() : defaultBin();
    }

    private static Path defaultBin() {
        String env = System.getenv("PG_BIN");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path root = Path.of("/usr/lib/postgresql");
        try (Stream<Path> majors = Files.list(root)) {
            return majors.filter(p -> Files.isExecutable(p.resolve("bin/pg_dump")))
                    .max(Comparator.comparingInt(p -> parseMajor(p.getFileName().toString()))).map(p -> p.resolve("bin"))
                    .orElse(Path.of("/usr/bin"));
        } catch (IOException e) {
            return Path.of("/usr/bin");
        }
    }

    private static int parseMajor(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The directory of the PostgreSQL binaries used. */
    public Path bin() {
        return bin;
    }

    /** {@code tool --version}, cached. */
    public String version(String tool) {
        return versions.computeIfAbsent(tool, t -> {
            try {
                Process p = new ProcessBuilder(bin.resolve(t).toString(), "--version").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                p.waitFor(10, TimeUnit.SECONDS);
                return out;
            } catch (IOException e) {
                return "unknown (" + e.getMessage() + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "unknown";
            }
        });
    }

    private List<String> connection(RegionSettings region) {
        return List.of("-h", region.databaseHost(), "-p", Integer.toString(region.databasePort()), "-U", region.databaseUser(), "-w");
    }

    /**
     * Starts {@code pg_dump -Fc} of {@code database} in {@code snapshot}; its stdout is the dump, to be passed through
     * {@link #dumpInto}. With zstd compression pg_dump writes its archive uncompressed ({@code -Z0}).
     */
    public ToolProcess dump(RegionSettings region, String database, @Nullable String snapshot, Path stderr) throws IOException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_dump").toString(), "-Fc"));
        command.addAll(connection(region));
        if (snapshot != null) {
            command.add("--snapshot=" + snapshot);
        }
        if (properties.logicalCompression() == BackupProperties.LogicalCompression.ZSTD) {
            command.add("-Z0");
        } else {
            command.add("-Z" + properties.dumpCompression());
        }
        command.add("-d");
        command.add(database);
        return ToolProcess.start(command, stderr, false);
    }

    /**
     * Copies a running {@link #dump}'s output into {@code out}, compressed as configured, and returns how (the manifest's
     * {@link DumpCompression#KEY} entry). {@code out} stays open.
     */
    public String dumpInto(ToolProcess dump, OutputStream out) throws IOException {
        try (InputStream in = dump.stdout()) {
            if (properties.logicalCompression() == BackupProperties.LogicalCompression.ZSTD) {
                try (OutputStream zstd = DumpCompression.zstd(out, properties.zstdLevel(), properties.zstdWorkers())) {
                    in.transferTo(zstd);
                }
                return DumpCompression.zstdLabel(properties.zstdLevel());
            }
            in.transferTo(out);
            return "pg_dump -Z" + properties.dumpCompression();
        }
    }

    /** Starts {@code pg_basebackup} of the whole cluster as one tar stream on stdout, WAL included. */
    public ToolProcess baseBackup(RegionSettings region, Path stderr) throws IOException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_basebackup").toString(), "-D", "-", "-Ft", "-X", "fetch",
                "-c", "fast", "-v", "--no-manifest"));
        command.addAll(connection(region));
        return ToolProcess.start(command, stderr, false);
    }

    /** Starts {@code pg_restore -j N --exit-on-error} of {@code file} into {@code database}. */
    public ToolProcess restore(RegionSettings region, String database, Path file, Path stderr) throws IOException {
        List<String> command = new ArrayList<>(List.of(bin.resolve("pg_restore").toString(), "--exit-on-error",
                "-j", Integer.toString(Math.max(1, properties.restoreJobs()))));
        command.addAll(connection(region));
        command.add("-d");
        command.add(database);
        command.add(file.toString());
        return ToolProcess.start(command, stderr, true);
    }
}
