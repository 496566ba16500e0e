package io.meridian.backup.restore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import io.meridian.backup.postgres.Databases;
import io.meridian.backup.storage.Manifest.ContentDigest;
import io.meridian.stack.Ports;
import io.meridian.stack.postgres.PostgresCluster;

/**
 * A PostgreSQL server started on a restored data directory to prove it: it recovers from the WAL the
 * base backup carries until it accepts connections and is out of recovery (writable), then its databases are
 * connected to (and, when asked, every table read: row count and content hash) and it is stopped cleanly, so that the
 * directory swapped into place starts without recovery. Run through {@link PostgresCluster} (as the
 * {@code postgres} user when this process is root) on a free loopback port; the configuration it
 * rewrites for that run ({@code meridian.conf}, the include in {@code postgresql.conf}) is put back
 * as it was when it stops.
 */
public final class ServerOnDataDirectory implements AutoCloseable {

    private static final String INCLUDE = "include_if_exists = '" + PostgresCluster.MANAGED_CONF + "'";

    private final PostgresCluster cluster;
    private final Path dataDir;
    private final byte @Nullable [] managedConf;
    private final byte[] postgresqlConf;
    private final Path socketDir;

    private ServerOnDataDirectory(PostgresCluster cluster, Path dataDir, byte @Nullable [] managedConf, byte[] postgresqlConf, Path socketDir) {
        this.cluster = cluster;
        this.dataDir = dataDir;
        this.managedConf = managedConf;
        this.postgresqlConf = postgresqlConf;
        this.socketDir = socketDir;
    }

    /**
     * Starts a server on {@code dataDir} and waits until it has recovered and accepts connections.
     *
     * @param logFile the server log (outside the data directory)
     */
    public static ServerOnDataDirectory start(Path dataDir, Path binDir, Path logFile) throws IOException {
        Path managed = dataDir.resolve(PostgresCluster.MANAGED_CONF);
        Path conf = dataDir.resolve("postgresql.conf");
        byte[] originalManaged = Files.exists(managed) ? Files.readAllBytes(managed) : null;
        byte[] originalConf = Files.readAllBytes(conf);
        if (!new String(originalConf, StandardCharsets.UTF_8).contains(INCLUDE)) {
            Files.writeString(conf, "\n" + INCLUDE + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        }
        int port = Ports.freePort();
        Path socketDir = Path.of(System.getProperty("java.io.tmpdir"), "meridian-restore-" + port + ".sock");
        PostgresCluster cluster = PostgresCluster.builder("restore-check-" + port, dataDir, port).binDir(binDir).logFile(logFile)
                .socketDir(socketDir)
                // a proof run: never archive, replicate or serve anyone but this check
                .setting("archive_mode", "off").setting("max_wal_senders", "0").setting("max_replication_slots", "0")
                .setting("wal_level", "replica").setting("hot_standby", "off").build();
        ServerOnDataDirectory server = new ServerOnDataDirectory(cluster, dataDir, originalManaged, originalConf, socketDir);
        try {
            cluster.initIfNeeded().start();
            return server;
        } catch (RuntimeException e) {
            server.close();
            throw new IOException("PostgreSQL did not start on the restored data directory: " + e.getMessage(), e);
        }
    }

    public int port() {
        return cluster.port();
    }

    /** Whether recovery ended (the server is a writable primary), proven by a write. */
    public boolean writable() throws SQLException {
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    return false;
                }
            }
            s.execute("CREATE TEMP TABLE meridian_restore_check (ok boolean)");
            s.execute("INSERT INTO meridian_restore_check VALUES (true)");
            return true;
        }
    }

    /** The WAL position the server reached. */
    public String lsn() throws SQLException {
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * Every database that accepts connections (templates excluded), each connected to, with its number of user tables; with
     * {@code readTables} also every table read: row count and content hash (the same hash as the logical restore test's),
     * which reads every row of the cluster.
     */
    public List<DatabaseContents> databases(boolean readTables) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = cluster.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        List<DatabaseContents> contents = new ArrayList<>();
        for (String name : names) {
            try (Connection c = cluster.connect(name)) {
                if (readTables) {
                    List<ContentDigest> tables = Databases.digests(c);
                    contents.add(new DatabaseContents(name, tables.size(), tables.stream().mapToLong(ContentDigest::count).sum(), tables));
                } else {
                    contents.add(new DatabaseContents(name, Databases.tableCount(c), null, null));
                }
            }
        }
        return contents;
    }

    /**
     * What a restored database holds.
     *
     * @param name    database
     * @param tables  user tables
     * @param rows    rows in them (only when the tables were read)
     * @param digests per table: row count and content hash (only when the tables were read)
     */
    public record DatabaseContents(String name, int tables, @Nullable Long rows, @Nullable List<ContentDigest> digests) {
    }

    /** Stops the server cleanly (shutdown checkpoint) and puts its configuration back. */
    @Override
    public void close() throws IOException {
        try {
            cluster.stop();
        } finally {
            Files.write(dataDir.resolve("postgresql.conf"), postgresqlConf);
            if (managedConf != null) {
                Files.write(dataDir.resolve(PostgresCluster.MANAGED_CONF), managedConf);
            } else {
                Files.deleteIfExists(dataDir.resolve(PostgresCluster.MANAGED_CONF));
            }
            deleteQuietly(socketDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a leftover empty socket directory under the temporary directory is harmless
        }
    }

    /** Stops a server a dead instance left running on {@code dataDir} (recovery, before removing it). */
    public static void stopIfRunning(Path dataDir) {
        if (PostgresCluster.runningPid(dataDir).isPresent()) {
            // stop() finds the postmaster through the data directory; the port is not used
            PostgresCluster.builder("restore-leftover", dataDir, 1).build().stop();
        }
    }
}
