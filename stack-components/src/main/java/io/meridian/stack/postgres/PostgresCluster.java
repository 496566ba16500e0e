package io.meridian.stack.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.stack.Ports;
import io.meridian.stack.Waits;
import io.meridian.stack.process.Exec;
import io.meridian.stack.process.ManagedProcess;
import io.meridian.stack.process.Processes;

/**
 * A real PostgreSQL cluster on {@code 127.0.0.1}, run from the server binaries installed on the
 * machine with {@code initdb} and {@code pg_ctl}.
 *
 * <p>PostgreSQL refuses to run as root. When the caller is root, every binary runs as the
 * {@code postgres} operating-system user (through {@code runuser}) and the data directory, the
 * socket directory and the log file are handed over to that user; otherwise everything runs as the
 * caller. Either way the database superuser is the role {@code postgres}, with trust
 * authentication on loopback only.
 *
 * <p>All state lives in files, so that another process can find a cluster again from its data
 * directory: the postmaster's pid is the first line of {@code <dataDir>/postmaster.pid} (written by
 * PostgreSQL itself; see {@link #runningPid(Path)}), the settings Meridian manages are in
 * {@code <dataDir>/meridian.conf} (included from {@code postgresql.conf} and rewritten on every
 * {@link #initIfNeeded()} and {@link #start()}), the server log defaults to
 * {@code <parent>/<name>.log} and the unix socket directory to {@code <parent>/<name>.sock}.
 *
 * <p>Instances are cheap handles; two handles on the same data directory see the same cluster.
 */
public final class PostgresCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PostgresCluster.class);

    /** The database superuser role (and, when the caller is root, the operating-system user). */
    public static final String SUPERUSER = "postgres";
    /** The environment variable that overrides where the server binaries are. */
    public static final String PG_BIN_ENV = "PG_BIN";
    /** The file, inside the data directory, with the settings Meridian manages. */
    public static final String MANAGED_CONF = "meridian.conf";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
    private static final Pattern DATABASE = Pattern.compile("[a-z_][a-z0-9_]*");
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Pattern SETTING_KEY = Pattern.compile("[a-z_][a-z0-9_.]*");
    private static final Path DEBIAN_PG_ROOT = Path.of("/usr/lib/postgresql");
    private static final int MAX_SOCKET_PATH = 100;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ORPHAN_WAIT = Duration.ofSeconds(10);

    private final String name;
    private final Path dataDir;
    private final int port;
    private final Path binDir;
    private final Map<String, String> extraSettings;
    private final Path logFile;
    private final Path socketDir;
    private final PgFiles files;

    private PostgresCluster(String name, Path dataDir, int port, Path binDir, Map<String, String> extraSettings,
            @Nullable Path logFile, @Nullable Path socketDir) {
        this.name = name;
        this.dataDir = dataDir;
        this.port = port;
        this.binDir = binDir;
        this.extraSettings = Collections.unmodifiableMap(new LinkedHashMap<>(extraSettings));
        this.logFile = logFile != null ? logFile.toAbsolutePath().normalize() : dataDir.resolveSibling(name + ".log");
        this.socketDir = socketDir != null ? socketDir.toAbsolutePath().normalize()
                : defaultSocketDir(dataDir.resolveSibling(name + ".sock"), port);
        this.files = new PgFiles(SUPERUSER);
    }

    /**
     * Starts describing a cluster.
     *
     * @param name a short name for messages and default file names ({@code [A-Za-z0-9][A-Za-z0-9._-]*})
     * @param dataDir its data directory (created by {@link PostgresCluster#initIfNeeded()} if missing)
     * @param port its TCP port on 127.0.0.1
     * @return a builder
     */
    public static Builder builder(String name, Path dataDir, int port) {
        return new Builder(name, dataDir, port);
    }

    /** Describes a cluster; {@link #build()} makes the handle without touching anything on disk. */
    public static final class Builder {

        private final String name;
        private final Path dataDir;
        private final int port;
        private @Nullable Path binDir;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private @Nullable Path logFile;
        private @Nullable Path socketDir;

        private Builder(String name, Path dataDir, int port) {
            if (!NAME.matcher(Objects.requireNonNull(name, "name")).matches()) {
                throw new IllegalArgumentException("Cluster name must match " + NAME + ": " + name);
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("Not a TCP port: " + port);
            }
            this.name = name;
            this.dataDir = dataDir.toAbsolutePath().normalize();
            this.port = port;
        }

        /**
         * The directory with {@code initdb}, {@code pg_ctl}, {@code postgres} and
         * {@code pg_basebackup}. Default: {@code $PG_BIN} if set, else the newest
         * {@code /usr/lib/postgresql/<major>/bin} that contains {@code postgres}.
         *
         * @param binDir the directory
         * @return this builder
         */
        public Builder binDir(Path binDir) {
            this.binDir = binDir.toAbsolutePath().normalize();
            return this;
        }

        /**
         * An extra {@code postgresql.conf} setting, or an override of one Meridian sets.
         *
         * @param key the setting name, e.g. {@code max_connections}
         * @param value its value, unquoted (it is quoted when written)
         * @return this builder
         */
        public Builder setting(String key, String value) {
            if (!SETTING_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("Not a PostgreSQL setting name: " + key);
            }
            settings.put(key, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * The server log file. Default: {@code <dataDir's parent>/<name>.log}. When the caller is
         * root, it is created and handed over to the {@code postgres} user.
         *
         * @param file the file
         * @return this builder
         */
        public Builder logFile(Path file) {
            this.logFile = file;
            return this;
        }

        /**
         * The private unix socket directory. Default: {@code <dataDir's parent>/<name>.sock}, or a
         * directory under {@code /tmp} if that path would be too long for a unix socket.
         *
         * @param dir the directory
         * @return this builder
         */
        public Builder socketDir(Path dir) {
            this.socketDir = dir;
            return this;
        }

        /**
         * Makes the handle.
         *
         * @return the cluster handle
         * @throws IllegalStateException if no PostgreSQL binaries are found
         */
        public PostgresCluster build() {
            Path bin = binDir != null ? binDir : defaultBinDir();
            return new PostgresCluster(name, dataDir, port, bin, settings, logFile, socketDir);
        }
    }

    /**
     * Creates the cluster with {@code initdb} (trust authentication, UTF8, C locale, superuser
     * {@code postgres}; {@code --no-sync}: the server itself runs with {@code fsync=on}, and
     * PostgreSQL syncs the whole data directory when it recovers from a crash) unless the data directory already has a {@code PG_VERSION}; writes the
     * settings Meridian manages and a {@code pg_hba.conf} that trusts local and 127.0.0.1
     * connections, replication included, and nothing else.
     *
     * @return this
     * @throws IllegalStateException if {@code initdb} fails (with its output)
     */
    public synchronized PostgresCluster initIfNeeded() {
        if (Files.exists(dataDir.resolve("PG_VERSION"))) {
            writeManagedConf();
            return this;
        }
        files.requireServerUser();
        long t0 = System.nanoTime();
        files.createPrivateDir(dataDir);
        Exec.Result result = Exec.run(asServerUser(List.of(bin("initdb"), "-D", dataDir.toString(), "-U", SUPERUSER,
                "-A", "trust", "-E", "UTF8", "--locale=C", "--no-instructions", "--no-sync")), COMMAND_TIMEOUT);
        if (!result.succeeded()) {
            throw new IllegalStateException("initdb of PostgreSQL cluster " + name + " in " + dataDir
                    + " failed with exit code " + result.exitCode() + ":\n" + result.output().strip());
        }
        try {
            Files.writeString(dataDir.resolve("postgresql.conf"), "\n# Meridian: the settings it manages, rewritten on"
                    + " every start by io.meridian.stack.postgres.PostgresCluster\ninclude_if_exists = '"
                    + MANAGED_CONF + "'\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not extend postgresql.conf in " + dataDir, e);
        }
        files.writePrivate(dataDir.resolve("pg_hba.conf"), """
                # Written by Meridian (io.meridian.stack.postgres.PostgresCluster): trust on loopback only.
                # TYPE  DATABASE     USER  ADDRESS       METHOD
                local   all          all                 trust
                host    all          all   127.0.0.1/32  trust
                local   replication  all                 trust
                host    replication  all   127.0.0.1/32  trust
                """);
        writeManagedConf();
        log.info("Initialised PostgreSQL cluster {} in {} ({} ms)", name, dataDir, millisSince(t0));
        return this;
    }

    /**
     * Starts the cluster with {@code pg_ctl -w start} and waits until it accepts connections. Does
     * nothing but wait for readiness if it already runs. Clears the leftovers of a crashed
     * postmaster (a stale {@code postmaster.pid}, exiting server processes) first.
     *
     * @return this
     * @throws IllegalStateException if the cluster is not initialised, its port is taken, or it
     *     does not start (with the {@code pg_ctl} output and the server log tail)
     */
    public synchronized PostgresCluster start() {
        if (isRunning()) {
            awaitAcceptingConnections();
            return this;
        }
        if (!Files.exists(dataDir.resolve("PG_VERSION"))) {
            throw new IllegalStateException("PostgreSQL cluster " + name + " has no data in " + dataDir
                    + "; call initIfNeeded() (or standbyOf) first");
        }
        files.requireServerUser();
        clearCrashLeftovers();
        if (!Ports.isFree(port)) {
            throw new IllegalStateException("Cannot start PostgreSQL cluster " + name + ": port " + port
                    + " on 127.0.0.1 is already in use");
        }
        long t0 = System.nanoTime();
        writeManagedConf();
        files.createPrivateDir(socketDir);
        files.createWritableFile(logFile);
        Exec.Result result = Exec.run(asServerUser(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-l",
                logFile.toString(), "-w", "-t", Long.toString(READY_TIMEOUT.toSeconds()), "start")), COMMAND_TIMEOUT);
        if (!result.succeeded()) {
            throw new IllegalStateException("PostgreSQL cluster " + name + " did not start (pg_ctl exit code "
                    + result.exitCode() + "):\n" + result.output().strip() + "\n--- tail of " + logFile + ":\n"
                    + logTail(30));
        }
        awaitAcceptingConnections();
        log.info("Started PostgreSQL cluster {} on 127.0.0.1:{} (pid {}) in {} ms", name, port,
                pid().orElse(-1), millisSince(t0));
        return this;
    }

    /**
     * Stops the cluster with {@code pg_ctl -m fast -w stop} (thawing it first if it was frozen).
     * Does nothing if it does not run.
     *
     * @throws IllegalStateException if it does not stop
     */
    public synchronized void stop() {
        OptionalLong pid = pid();
        if (pid.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        thaw();
        Exec.Result result = Exec.run(asServerUser(List.of(bin("pg_ctl"), "-D", dataDir.toString(), "-m", "fast",
                "-w", "-t", Long.toString(READY_TIMEOUT.toSeconds()), "stop")), COMMAND_TIMEOUT);
        if (!result.succeeded() && isRunning()) {
            throw new IllegalStateException("PostgreSQL cluster " + name + " did not stop (pg_ctl exit code "
                    + result.exitCode() + "):\n" + result.output().strip());
        }
        log.info("Stopped PostgreSQL cluster {} (pid {}) in {} ms", name, pid.getAsLong(), millisSince(t0));
    }

    /**
     * Kills the postmaster with SIGKILL, as a crash would (for drills and tests), and waits until it
     * and the server processes it leaves behind are gone, so that {@link #start()} can run crash
     * recovery right away. Does nothing if it does not run.
     */
    public synchronized void kill() {
        OptionalLong pid = pid();
        if (pid.isEmpty()) {
            return;
        }
        long postmaster = pid.getAsLong();
        List<Long> children = descendants(postmaster);
        Processes.signal("KILL", List.of(postmaster));
        if (!Processes.awaitExit(postmaster, ORPHAN_WAIT)) {
            throw new IllegalStateException("PostgreSQL cluster " + name + " (pid " + postmaster + ") survived SIGKILL");
        }
        // frozen children would never notice that their postmaster died
        Processes.signal("CONT", children);
        awaitServerProcessesGone();
        log.info("Killed PostgreSQL cluster {} (postmaster pid {})", name, postmaster);
    }

    /**
     * Freezes the postmaster and all its children with SIGSTOP (gray-failure drills): connections
     * stay open but nothing answers. Does nothing if it does not run.
     */
    public synchronized void freeze() {
        OptionalLong pid = pid();
        if (pid.isPresent()) {
            List<Long> pids = new ArrayList<>();
            pids.add(pid.getAsLong());
            pids.addAll(descendants(pid.getAsLong()));
            Processes.signal("STOP", pids);
            log.info("Froze PostgreSQL cluster {} (pids {})", name, pids);
        }
    }

    /** Resumes a {@link #freeze() frozen} cluster with SIGCONT. Does nothing if it does not run. */
    public synchronized void thaw() {
        OptionalLong pid = pid();
        if (pid.isPresent()) {
            List<Long> pids = new ArrayList<>(descendants(pid.getAsLong()));
            pids.add(pid.getAsLong());
            Processes.signal("CONT", pids);
        }
    }

    /**
     * Whether the postmaster runs: {@code postmaster.pid} is present and names a live postgres process.
     *
     * @return {@code true} if it runs (also when frozen)
     */
    public boolean isRunning() {
        return pid().isPresent();
    }

    /**
     * The postmaster's pid, if it runs.
     *
     * @return the pid, or empty
     */
    public OptionalLong pid() {
        return runningPid(dataDir);
    }

    /**
     * The pid of the postmaster serving {@code dataDir}, for a process that has no handle (a
     * {@code status} command): read from {@code postmaster.pid}, checked to be a live postgres
     * process (not a zombie, not a recycled pid).
     *
     * @param dataDir a cluster's data directory
     * @return the pid, or empty if the cluster does not run
     */
    public static OptionalLong runningPid(Path dataDir) {
        OptionalLong recorded = recordedPid(dataDir);
        if (recorded.isEmpty()) {
            return recorded;
        }
        long pid = recorded.getAsLong();
        if (!Processes.isAlive(pid)) {
            return OptionalLong.empty();
        }
        boolean postgres = Processes.commandLine(pid).map(c -> c.contains("postgres") || c.contains("postmaster"))
                .orElse(false);
        return postgres ? recorded : OptionalLong.empty();
    }

    /**
     * The cluster's name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The TCP port on 127.0.0.1.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The data directory.
     *
     * @return the absolute data directory
     */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * The server log file.
     *
     * @return the log file
     */
    public Path logFile() {
        return logFile;
    }

    /**
     * The unix socket directory.
     *
     * @return the socket directory
     */
    public Path socketDir() {
        return socketDir;
    }

    /**
     * The directory of the server binaries in use.
     *
     * @return the bin directory
     */
    public Path binDir() {
        return binDir;
    }

    /**
     * The JDBC URL of a database of this cluster.
     *
     * @param database the database name
     * @return {@code jdbc:postgresql://127.0.0.1:<port>/<database>}
     */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /**
     * The superuser to connect as (no password: trust authentication).
     *
     * @return {@code postgres}
     */
    public String user() {
        return SUPERUSER;
    }

    /**
     * Creates a database unless it exists.
     *
     * @param database the name, {@code [a-z_][a-z0-9_]*}
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException if the cluster cannot be reached
     */
    public void createDatabase(String database) {
        if (!DATABASE.matcher(database).matches() || database.length() > 63) {
            throw new IllegalArgumentException("Database name must match " + DATABASE + " (at most 63 characters): "
                    + database);
        }
        try (Connection c = connect("postgres");
                PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, database);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
            try (Statement create = c.createStatement()) {
                create.execute("CREATE DATABASE " + database);
            } catch (SQLException e) {
                if (!"42P04".equals(e.getSQLState())) { // duplicate_database: created concurrently
                    throw e;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create database " + database + " in PostgreSQL cluster " + name
                    + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a connection as {@code postgres} (no password).
     *
     * @param database the database
     * @return a new connection; the caller closes it
     * @throws SQLException if the connection fails
     */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", SUPERUSER);
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "meridian-stack");
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /**
     * Whether the cluster is a standby (still replaying WAL).
     *
     * @return the result of {@code SELECT pg_is_in_recovery()}
     * @throws SQLException if the query fails
     */
    public boolean inRecovery() throws SQLException {
        try (Connection c = connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Promotes a standby to a primary ({@code SELECT pg_promote(true, 60)}: waits until it accepts writes).
     *
     * @return {@code true} if the promotion completed
     * @throws SQLException if the cluster is not a standby or cannot be reached
     */
    public boolean promote() throws SQLException {
        try (Connection c = connect("postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_promote(true, 60)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * The last lines of the server log.
     *
     * @param lines how many lines at most
     * @return the lines
     */
    public String logTail(int lines) {
        return ManagedProcess.tail(logFile, lines);
    }

    /**
     * Creates a streaming standby of a running primary: a physical replication slot {@code slot} on
     * the primary (unless present), then {@code pg_basebackup -D dataDir -R -X stream -S slot -c fast}
     * (as the server user), then the standby's own settings (port, socket directory). Does nothing
     * but return the handle if {@code dataDir} already has a {@code PG_VERSION}. The standby uses
     * the primary's binaries and extra settings and the default log file and socket directory.
     *
     * @param primary the running primary
     * @param name the standby's name
     * @param dataDir the standby's data directory (missing or empty)
     * @param port the standby's port
     * @param slot the replication slot name, {@code [a-z0-9_]{1,63}}
     * @return the standby, not started
     * @throws IllegalStateException if the primary does not run or the base backup fails
     */
    public static PostgresCluster standbyOf(PostgresCluster primary, String name, Path dataDir, int port,
            String slot) {
        Builder builder = builder(name, dataDir, port).binDir(primary.binDir);
        primary.extraSettings.forEach(builder::setting);
        PostgresCluster standby = builder.build();
        if (Files.exists(standby.dataDir.resolve("PG_VERSION"))) {
            standby.writeManagedConf();
            return standby;
        }
        if (!SLOT.matcher(slot).matches()) {
            throw new IllegalArgumentException("Replication slot name must match " + SLOT + ": " + slot);
        }
        if (!primary.isRunning()) {
            throw new IllegalStateException("Cannot create standby " + name + ": primary " + primary.name
                    + " does not run");
        }
        standby.files.requireServerUser();
        long t0 = System.nanoTime();
        primary.ensurePhysicalSlot(slot);
        standby.files.createPrivateDir(standby.dataDir);
        Exec.Result result = Exec.run(asServerUser(List.of(primary.bin("pg_basebackup"), "-h", "127.0.0.1", "-p",
                Integer.toString(primary.port), "-U", SUPERUSER, "-D", standby.dataDir.toString(), "-R", "-X", "stream",
                "-S", slot, "-c", "fast")), COMMAND_TIMEOUT);
        if (!result.succeeded()) {
            throw new IllegalStateException("pg_basebackup of " + primary.name + " into " + standby.dataDir
                    + " failed with exit code " + result.exitCode() + ":\n" + result.output().strip());
        }
        standby.writeManagedConf();
        log.info("Created standby {} of {} in {} (slot {}, {} ms)", name, primary.name, standby.dataDir, slot,
                millisSince(t0));
        return standby;
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /**
     * Registers a JVM shutdown hook that stops this cluster (for test JVMs that start one per run).
     *
     * @return this
     */
    public PostgresCluster stopOnJvmExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop();
            } catch (RuntimeException e) {
                log.warn("Could not stop PostgreSQL cluster {} at JVM exit: {}", name, e.getMessage());
            }
        }, "stop-postgres-" + name));
        return this;
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + name + ", 127.0.0.1:" + port + ", " + dataDir + "]";
    }

    /** The settings Meridian writes, with the builder's extra settings applied on top. */
    Map<String, String> effectiveSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("listen_addresses", "127.0.0.1");
        s.put("port", Integer.toString(port));
        s.put("unix_socket_directories", socketDir.toString());
        s.put("wal_level", "logical");
        s.put("max_wal_senders", "10");
        s.put("max_replication_slots", "10");
        s.put("wal_keep_size", "256MB");
        s.put("hot_standby", "on");
        s.put("fsync", "on");
        s.putAll(extraSettings);
        return s;
    }

    private void writeManagedConf() {
        StringBuilder text = new StringBuilder()
                .append("# Written by Meridian (io.meridian.stack.postgres.PostgresCluster) on every start;\n")
                .append("# change the builder's settings instead of editing this file.\n");
        effectiveSettings().forEach((k, v) -> text.append(k).append(" = '").append(v.replace("'", "''"))
                .append("'\n"));
        files.writePrivate(dataDir.resolve(MANAGED_CONF), text.toString());
    }

    private void ensurePhysicalSlot(String slot) {
        try (Connection c = connect("postgres");
                PreparedStatement exists = c.prepareStatement(
                        "SELECT slot_type FROM pg_replication_slots WHERE slot_name = ?")) {
            exists.setString(1, slot);
            try (ResultSet rs = exists.executeQuery()) {
                if (rs.next()) {
                    if (!"physical".equals(rs.getString(1))) {
                        throw new IllegalStateException("Replication slot " + slot + " on " + name + " is "
                                + rs.getString(1) + ", not physical");
                    }
                    return;
                }
            }
            try (PreparedStatement create = c.prepareStatement("SELECT pg_create_physical_replication_slot(?)")) {
                create.setString(1, slot);
                create.execute();
            } catch (SQLException e) {
                if (!"42710".equals(e.getSQLState())) { // duplicate_object: created concurrently
                    throw e;
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create replication slot " + slot + " on " + name + ": "
                    + e.getMessage(), e);
        }
    }

    private void awaitAcceptingConnections() {
        Waits.until("PostgreSQL cluster " + name + " to accept connections on 127.0.0.1:" + port, READY_TIMEOUT,
                Duration.ofMillis(50), () -> {
                    if (!isRunning()) {
                        throw new IllegalStateException("PostgreSQL cluster " + name + " exited while starting; log tail:\n"
                                + logTail(30));
                    }
                    try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
                        s.execute("SELECT 1");
                        return true;
                    } catch (SQLException e) {
                        return false;
                    }
                }, () -> "Server log tail:\n" + logTail(30));
    }

    /**
     * After a crash: waits for the server processes the dead postmaster left behind (they exit when
     * they notice) and removes the {@code postmaster.pid} and socket lock file that name a process
     * that is gone or a zombie (PostgreSQL itself would take an unreaped zombie for a running server,
     * and containers whose pid 1 does not reap orphans are full of them).
     */
    private void clearCrashLeftovers() {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile) || isRunning()) {
            return;
        }
        awaitServerProcessesGone();
        // the socket's lock file names the dead postmaster too
        Path socketLock = socketDir.resolve(".s.PGSQL." + port + ".lock");
        OptionalLong lockPid = firstLinePid(socketLock);
        if (lockPid.isPresent() && !Processes.isAlive(lockPid.getAsLong())) {
            try {
                Files.deleteIfExists(socketLock);
                Files.deleteIfExists(socketDir.resolve(".s.PGSQL." + port));
            } catch (IOException e) {
                throw new UncheckedIOException("Could not remove stale " + socketLock, e);
            }
        }
        OptionalLong stale = recordedPid(dataDir);
        try {
            Files.deleteIfExists(pidFile);
            log.info("Removed stale {} (its postmaster {} is gone)", pidFile,
                    stale.isPresent() ? Long.toString(stale.getAsLong()) : "?");
        } catch (IOException e) {
            throw new UncheckedIOException("Could not remove stale " + pidFile, e);
        }
    }

    private void awaitServerProcessesGone() {
        long half = ORPHAN_WAIT.toNanos() / 2;
        long t0 = System.nanoTime();
        Waits.until("the server processes of PostgreSQL cluster " + name + " to exit", ORPHAN_WAIT,
                Duration.ofMillis(20), () -> {
                    List<Long> left = Processes.withWorkingDirectory(dataDir);
                    if (!left.isEmpty() && System.nanoTime() - t0 > half) {
                        Processes.signal("KILL", left);
                    }
                    return left.isEmpty();
                }, () -> "Still running: " + Processes.withWorkingDirectory(dataDir));
    }

    private static OptionalLong recordedPid(Path dataDir) {
        return firstLinePid(dataDir.resolve("postmaster.pid"));
    }

    private static OptionalLong firstLinePid(Path file) {
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
            Optional<String> first = lines.findFirst();
            return first.isPresent() ? OptionalLong.of(Long.parseLong(first.get().strip())) : OptionalLong.empty();
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static List<Long> descendants(long pid) {
        return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
    }

    private String bin(String tool) {
        Path p = binDir.resolve(tool);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("No executable " + tool + " in " + binDir
                    + " (set $" + PG_BIN_ENV + " or the builder's binDir to a PostgreSQL bin directory)");
        }
        return p.toString();
    }

    private static List<String> asServerUser(List<String> command) {
        return Exec.asUser(SUPERUSER, command);
    }

    private static Path defaultBinDir() {
        String env = System.getenv(PG_BIN_ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath().normalize();
        }
        if (Files.isDirectory(DEBIAN_PG_ROOT)) {
            try (Stream<Path> versions = Files.list(DEBIAN_PG_ROOT)) {
                Optional<Path> newest = versions
                        .filter(v -> v.getFileName().toString().matches("[0-9]+(\\.[0-9]+)?"))
                        .filter(v -> Files.isExecutable(v.resolve("bin").resolve("postgres")))
                        .max(Comparator.comparingDouble(v -> Double.parseDouble(v.getFileName().toString())));
                if (newest.isPresent()) {
                    return newest.get().resolve("bin");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("Could not list " + DEBIAN_PG_ROOT, e);
            }
        }
        throw new IllegalStateException("No PostgreSQL server binaries found: $" + PG_BIN_ENV + " is not set and no "
                + DEBIAN_PG_ROOT + "/<major>/bin contains postgres. Install the server (apt-get install postgresql)"
                + " or set " + PG_BIN_ENV + ".");
    }

    private static Path defaultSocketDir(Path preferred, int port) {
        Path abs = preferred.toAbsolutePath().normalize();
        int length = abs.toString().getBytes(StandardCharsets.UTF_8).length + "/.s.PGSQL.".length()
                + Integer.toString(port).length();
        return length <= MAX_SOCKET_PATH ? abs : Path.of("/tmp", "meridian-pg-" + port + ".sock");
    }

    private static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
