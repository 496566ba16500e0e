package io.meridian.backup.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.storage.Manifest.ContentDigest;

/**
 * JDBC to a region's cluster: the exported snapshot a dump is taken in (with its LSN, time and the
 * per-table digests captured in that same snapshot), and the database operations a restore needs
 * (create, rename, drop, who is connected). Every identifier is quoted and was checked by
 * {@link io.meridian.backup.topology.Names} before it got here.
 */
@Component
public class Databases {

    /**
     * The digest of one table: row count and an order-independent content hash (the sum of each
     * row's 64-bit MD5 prefix of its text form, modulo nothing: a numeric sum).
     */
    static final String DIGEST_SQL = "SELECT count(*), coalesce(sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric), 0)::text FROM %s t";

    public Connection connect(RegionSettings region, String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", region.databaseUser());
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "meridian-backup");
        return DriverManager.getConnection("jdbc:postgresql://" + region.databaseHost() + ":" + region.databasePort() + "/" + database,
                props);
    }

    /**
     * An open repeatable-read transaction whose snapshot is exported for pg_dump; close it when
     * the dump finished.
     */
    public static final class Snapshot implements AutoCloseable {

        private final Connection connection;
        private final String id;
        private final String lsn;
        private final Instant time;
        private final String serverVersion;

        Snapshot(Connection connection, String id, String lsn, Instant time, String serverVersion) {
            this.connection = connection;
            this.id = id;
            this.lsn = lsn;
            this.time = time;
            this.serverVersion = serverVersion;
        }

        public String id() {
            return id;
        }

        public String lsn() {
            return lsn;
        }

        public Instant time() {
            return time;
        }

        public String serverVersion() {
            return serverVersion;
        }

        /** Row counts and content hashes of every table, in this snapshot. */
        public List<ContentDigest> digests() throws SQLException {
            return Databases.digests(connection);
        }

        @Override
        public void close() throws SQLException {
            try {
                connection.rollback();
            } finally {
                connection.close();
            }
        }
    }

    /** Opens a snapshot of {@code database} (works on a primary and on a streaming standby). */
    public Snapshot snapshot(RegionSettings region, String database) throws SQLException {
        Connection c = connect(region, database);
        try {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            c.setReadOnly(true);
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT pg_export_snapshot(),
                           (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,
                           now(), current_setting('server_version')""")) {
                rs.next();
                return new Snapshot(c, rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getString(4));
            }
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static final String USER_TABLES = """
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'""";

    /** The number of user tables of the connection's database (a catalog query: no table is read). */
    public static int tableCount(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) " + USER_TABLES)) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** Row counts and content hashes of every user table of the connection's database. */
    public static List<ContentDigest> digests(Connection c) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) " + USER_TABLES + " ORDER BY 1")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        List<ContentDigest> digests = new ArrayList<>();
        for (String table : tables) {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(DIGEST_SQL.formatted(table))) {
                rs.next();
                digests.add(new ContentDigest(table, rs.getLong(1), rs.getString(2)));
            }
        }
        return digests;
    }

    /** Digests of {@code database}, read now. */
    public List<ContentDigest> digests(RegionSettings region, String database) throws SQLException {
        try (Connection c = connect(region, database)) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                return digests(c);
            } finally {
                c.rollback();
            }
        }
    }

    /** Differences between digests taken at dump time and after a restore, one line each; empty when they match. */
    public static List<String> compare(List<ContentDigest> expected, List<ContentDigest> actual) {
        java.util.Map<String, ContentDigest> got = new java.util.LinkedHashMap<>();
        actual.forEach(d -> got.put(d.name(), d));
        List<String> differences = new ArrayList<>();
        for (ContentDigest want : expected) {
            ContentDigest have = got.remove(want.name());
            if (have == null) {
                differences.add(want.name() + ": missing after restore");
            } else if (have.count() != want.count()) {
                differences.add(want.name() + ": " + have.count() + " rows, " + want.count() + " at dump time");
            } else if (!have.hash().equals(want.hash())) {
                differences.add(want.name() + ": content hash differs from the one taken at dump time");
            }
        }
        got.keySet().forEach(name -> differences.add(name + ": not in the backup"));
        return differences;
    }

    public boolean exists(RegionSettings region, String database) throws SQLException {
        try (Connection c = connect(region, "postgres"); PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            s.setString(1, database);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    public boolean inRecovery(RegionSettings region) throws SQLException {
        try (Connection c = connect(region, "postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** Sessions connected to {@code database} other than this service's own. */
    public int sessions(RegionSettings region, String database) throws SQLException {
        try (Connection c = connect(region, "postgres"); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
            s.setString(1, database);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    public void create(RegionSettings region, String database) throws SQLException {
        execute(region, "CREATE DATABASE " + quote(database));
    }

    public void dropIfExists(RegionSettings region, String database) throws SQLException {
        execute(region, "DROP DATABASE IF EXISTS " + quote(database) + " WITH (FORCE)");
    }

    /** Renames a database (no session may be connected to it). */
    public void rename(RegionSettings region, String from, String to) throws SQLException {
        execute(region, "ALTER DATABASE " + quote(from) + " RENAME TO " + quote(to));
    }

    /**
     * Puts {@code restored} in place of {@code target}: the old one (if any) is closed to new
     * sessions, its sessions ended, and renamed to {@code retired}; then {@code restored} takes the
     * name. Returns whether there was an old one.
     */
    public boolean swapIn(RegionSettings region, String restored, String target, String retired) throws SQLException {
        try (Connection c = connect(region, "postgres")) {
            boolean existed;
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
                s.setString(1, target);
                try (ResultSet rs = s.executeQuery()) {
                    existed = rs.next();
                }
            }
            try (Statement s = c.createStatement()) {
                if (existed) {
                    s.execute("ALTER DATABASE " + quote(target) + " WITH ALLOW_CONNECTIONS false");
                    try (PreparedStatement kill = c.prepareStatement(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
                        kill.setString(1, target);
                        kill.execute();
                    }
                    renameWhenFree(s, target, retired);
                }
                s.execute("ALTER DATABASE " + quote(restored) + " RENAME TO " + quote(target));
            }
            return existed;
        }
    }

    /** Renames once the terminated sessions are gone (they take a moment to exit): up to ten seconds. */
    private static void renameWhenFree(Statement s, String from, String to) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try {
                s.execute("ALTER DATABASE " + quote(from) + " RENAME TO " + quote(to));
                return;
            } catch (SQLException e) {
                if (!"55006".equals(e.getSQLState()) || attempt >= 100) {
                    throw e;
                }
                try {
                    s.execute("SELECT pg_sleep(0.1)");
                } catch (SQLException ignored) {
                    // the next attempt reports the real failure
                }
            }
        }
    }

    private void execute(RegionSettings region, String sql) throws SQLException {
        try (Connection c = connect(region, "postgres"); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }
}
