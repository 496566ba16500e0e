package io.meridian.failover.database;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

import io.meridian.failover.topology.ClusterMember;

/**
 * What failover-service does to a managed PostgreSQL database over SQL, each call bounded by a timeout: the
 * probe (state, replication, heartbeat write), fencing to read-only, promotion, the verifying write, and the
 * settings that let a member follow a new primary.
 *
 * <p>The heartbeat lives in {@code meridian_failover.heartbeat} of the member's database, one row per observer,
 * written with {@code synchronous_commit = local} so that the probe measures the primary itself; its replicated
 * copy on a standby gives the replication lag in time even when nothing else is written.
 */
public final class ManagedDatabases implements AutoCloseable {

    private static final String HEARTBEAT = "meridian_failover.heartbeat";

    private final TimedJdbc jdbc;
    private final String username;
    private final @Nullable String password;
    private final Set<String> heartbeatReady = ConcurrentHashMap.newKeySet();

    public ManagedDatabases(String username, @Nullable String password) {
        this.jdbc = new TimedJdbc(username, password);
        this.username = username;
        this.password = password;
    }

    /**
     * Everything one probe learns about a member.
     *
     * @param inRecovery        whether it is a standby ({@code pg_is_in_recovery()})
     * @param currentLsn        a primary's current WAL position
     * @param receiveLsn        a standby's last received WAL position
     * @param replayLsn         a standby's last replayed WAL position
     * @param replayedHeartbeat a standby's newest replicated heartbeat (server time it was written on the primary)
     * @param heartbeatWritten  a primary's heartbeat written by this probe (server time), if the write probe ran and succeeded
     * @param writeError        why the write probe failed, if it did
     * @param readOnlyDefault   whether {@code default_transaction_read_only} is on (a fenced member)
     * @param replicas          a primary's streaming standbys ({@code pg_stat_replication} with their slots)
     */
    public record State(boolean inRecovery, @Nullable Lsn currentLsn, @Nullable Lsn receiveLsn, @Nullable Lsn replayLsn,
            @Nullable Instant replayedHeartbeat, @Nullable Instant heartbeatWritten, @Nullable String writeError,
            boolean readOnlyDefault, List<Replica> replicas) {

        /** The furthest WAL position this member has: current for a primary, received or replayed for a standby. */
        public @Nullable Lsn position() {
            if (!inRecovery) {
                return currentLsn;
            }
            if (receiveLsn == null) {
                return replayLsn;
            }
            return replayLsn == null ? receiveLsn : Lsn.max(receiveLsn, replayLsn);
        }
    }

    /**
     * One standby streaming from a primary.
     *
     * @param applicationName its {@code application_name}
     * @param slot            the replication slot it uses, if any (Meridian names slots after regions)
     * @param state           {@code streaming}, {@code catchup}, ...
     * @param sentLsn         WAL sent to it
     * @param flushLsn        WAL it flushed
     * @param replayLsn       WAL it replayed
     * @param replayLagMillis {@code replay_lag} in milliseconds
     * @param syncState       {@code async}, {@code sync}, {@code potential}, {@code quorum}
     */
    public record Replica(String applicationName, @Nullable String slot, String state, @Nullable Lsn sentLsn, @Nullable Lsn flushLsn,
            @Nullable Lsn replayLsn, @Nullable Double replayLagMillis, String syncState) {
    }

    /**
     * Probes a member: connects, reads its state, and, if it is a primary and {@code write} asks for it, writes
     * this observer's heartbeat.
     */
    public State probe(ClusterMember member, boolean write, String observer, long sequence, Duration timeout) {
        return jdbc.call(member.jdbcUrl(), timeout, c -> {
            boolean inRecovery;
            Lsn current = null;
            Lsn receive;
            Lsn replay;
            boolean readOnly;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                    SELECT pg_is_in_recovery(),
                           CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,
                           pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
                           current_setting('default_transaction_read_only') = 'on'
                    """)) {
                rs.next();
                inRecovery = rs.getBoolean(1);
                current = Lsn.parseNullable(rs.getString(2));
                receive = Lsn.parseNullable(rs.getString(3));
                replay = Lsn.parseNullable(rs.getString(4));
                readOnly = rs.getBoolean(5);
            }
            Instant replayed = null;
            Instant written = null;
            String writeError = null;
            List<Replica> replicas = List.of();
            if (inRecovery) {
                replayed = newestHeartbeat(c);
            } else {
                if (write) {
                    try {
                        written = writeHeartbeat(c, member.jdbcUrl(), observer, sequence, true);
                    } catch (SQLException e) {
                        writeError = TimedJdbc.firstLine(e);
                    }
                }
                replicas = replicas(c);
            }
            return new State(inRecovery, current, receive, replay, replayed, written, writeError, readOnly, replicas);
        });
    }

    /** Whether the member answers and is in recovery; throws if it cannot be asked. */
    public boolean inRecovery(ClusterMember member, Duration timeout) {
        return jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1);
            }
        });
    }

    /** The member's state without a write. */
    public State state(ClusterMember member, Duration timeout) {
        return probe(member, false, "", 0, timeout);
    }

    /**
     * Fences a reachable primary at the SQL level: {@code default_transaction_read_only} on for every new
     * transaction (persisted with {@code ALTER SYSTEM}, so a restart keeps it), waits until a new session sees it,
     * then terminates every client session so none keeps writing. Returns the WAL position after the fence.
     */
    public Lsn fenceReadOnly(ClusterMember member, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM SET default_transaction_read_only = on");
                s.execute("SELECT pg_reload_conf()");
            }
            return null;
        });
        awaitSetting(member, "default_transaction_read_only", "on", deadline);
        return jdbc.call(member.jdbcUrl(), remaining(deadline), c -> {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                        + "AND pid <> pg_backend_pid()");
                try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                    rs.next();
                    return Lsn.parse(rs.getString(1));
                }
            }
        });
    }

    /**
     * Runs a {@code CHECKPOINT}, so that the shutdown checkpoint of a clean stop soon after (a switchover's) has little
     * left to write while writes are paused.
     */
    public void checkpoint(ClusterMember member, Duration timeout) {
        jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CHECKPOINT");
            }
            return null;
        });
    }

    /** Undoes {@link #fenceReadOnly}: writes are allowed again (a switchover that rolled back). */
    public void unfence(ClusterMember member, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM RESET default_transaction_read_only");
                s.execute("SELECT pg_reload_conf()");
            }
            return null;
        });
        awaitSetting(member, "default_transaction_read_only", "off", deadline);
    }

    /** The primary's current WAL position. */
    public Lsn currentLsn(ClusterMember member, Duration timeout) {
        return jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
                rs.next();
                return Lsn.parse(rs.getString(1));
            }
        });
    }

    /**
     * Promotes a standby: {@code pg_promote(false)} signals the promotion, then one session polls
     * {@code pg_is_in_recovery()} every 5 ms until it accepts writes ({@code pg_promote(true)} would poll every
     * 100 ms). Does nothing to a member that is already out of recovery. Whether it is a primary now.
     */
    public boolean promote(ClusterMember member, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        return jdbc.call(member.jdbcUrl(), timeout.plusSeconds(1), c -> {
            try (Statement s = c.createStatement()) {
                if (!inRecovery(s)) {
                    return true;
                }
                try (ResultSet rs = s.executeQuery("SELECT pg_promote(false)")) {
                    rs.next();
                }
                while (System.nanoTime() < deadline) {
                    if (!inRecovery(s)) {
                        return true;
                    }
                    LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
                }
                return !inRecovery(s);
            }
        });
    }

    private static boolean inRecovery(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Makes a new primary take writes: clears a read-only default it may carry from an earlier fence and, if
     * {@code clearSynchronous}, {@code synchronous_standby_names} (it has no standby yet); waits until a new
     * session sees the change.
     */
    public void makeWritable(ClusterMember member, boolean clearSynchronous, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean changed = jdbc.call(member.jdbcUrl(), timeout, c -> {
            boolean any = false;
            try (Statement s = c.createStatement()) {
                boolean readOnly;
                boolean synchronous;
                try (ResultSet rs = s.executeQuery("SELECT current_setting('default_transaction_read_only') = 'on', "
                        + "current_setting('synchronous_standby_names') <> ''")) {
                    rs.next();
                    readOnly = rs.getBoolean(1);
                    synchronous = rs.getBoolean(2);
                }
                if (readOnly) {
                    s.execute("ALTER SYSTEM RESET default_transaction_read_only");
                    any = true;
                }
                if (clearSynchronous && synchronous) {
                    s.execute("ALTER SYSTEM SET synchronous_standby_names = ''");
                    any = true;
                }
                if (any) {
                    s.execute("SELECT pg_reload_conf()");
                }
            }
            return any;
        });
        if (changed) {
            awaitSetting(member, "default_transaction_read_only", "off", deadline);
            if (clearSynchronous) {
                awaitSetting(member, "synchronous_standby_names", "", deadline);
            }
        }
    }

    /** Sets {@code synchronous_standby_names} on a primary (for example {@code *} once a standby streams again). */
    public void setSynchronousStandbys(ClusterMember member, String names, Duration timeout) {
        jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM SET synchronous_standby_names = " + literal(names));
                s.execute("SELECT pg_reload_conf()");
            }
            return null;
        });
    }

    /** Writes a heartbeat on the member as {@code writer} with a normal commit; the server time it committed. */
    public Instant write(ClusterMember member, String writer, long sequence, Duration timeout) {
        return jdbc.call(member.jdbcUrl(), timeout, c -> writeHeartbeat(c, member.jdbcUrl(), writer, sequence, false));
    }

    /**
     * Points a (running) member at a new primary for when it next starts in recovery: {@code primary_conninfo} and
     * {@code primary_slot_name} through {@code ALTER SYSTEM}, so that they survive and beat any earlier value.
     */
    public void prepareToFollow(ClusterMember member, ClusterMember primary, Duration timeout) {
        String conninfo = conninfo(primary, member);
        jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("ALTER SYSTEM SET primary_conninfo = " + literal(conninfo));
                s.execute("ALTER SYSTEM SET primary_slot_name = " + literal(member.slotName()));
                s.execute("SELECT pg_reload_conf()");
            }
            return null;
        });
    }

    /** The {@code primary_conninfo} with which {@code follower} streams from {@code primary}. */
    public String conninfo(ClusterMember primary, ClusterMember follower) {
        StringBuilder text = new StringBuilder().append("host=").append(primary.host()).append(" port=").append(primary.port())
                .append(" user=").append(username).append(" application_name=").append(follower.slotName());
        if (password != null) {
            text.append(" password=").append(password);
        }
        return text.toString();
    }

    /** Creates the physical replication slot {@code slot} on {@code primary} unless it exists. */
    public void ensureSlot(ClusterMember primary, String slot, Duration timeout) {
        jdbc.call(primary.jdbcUrl(), timeout, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
                s.setString(1, slot);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        return null;
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
                s.setString(1, slot);
                s.execute();
            } catch (SQLException e) {
                if (!"42710".equals(e.getSQLState())) {
                    throw e;
                }
            }
            return null;
        });
    }

    /** Drops the inactive physical slots a former primary keeps (they would hold WAL on it forever). */
    public int dropInactiveSlots(ClusterMember member, Duration timeout) {
        return jdbc.call(member.jdbcUrl(), timeout, c -> {
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE NOT active AND slot_type = 'physical'")) {
                rs.next();
                return rs.getInt(1);
            }
        });
    }

    private void awaitSetting(ClusterMember member, String setting, String expected, long deadline) {
        String last = "?";
        while (true) {
            try {
                last = jdbc.call(member.jdbcUrl(), remaining(deadline), c -> {
                    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting(" + literal(setting) + ")")) {
                        rs.next();
                        return rs.getString(1);
                    }
                });
                if (expected.equals(last)) {
                    return;
                }
            } catch (DatabaseException e) {
                if (System.nanoTime() >= deadline) {
                    throw e;
                }
            }
            if (System.nanoTime() >= deadline) {
                throw new DatabaseException(DatabaseException.Kind.TIMEOUT, setting + " is still '" + last + "', not '" + expected + "'");
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }

    private Instant writeHeartbeat(Connection c, String url, String observer, long sequence, boolean localCommit) throws SQLException {
        if (!heartbeatReady.contains(url)) {
            ensureHeartbeatTable(c);
            heartbeatReady.add(url);
        }
        boolean autoCommit = c.getAutoCommit();
        try {
            if (localCommit) {
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL synchronous_commit = local");
                }
            }
            Instant at;
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + HEARTBEAT + " (observer, seq, written_at) "
                    + "VALUES (?, ?, clock_timestamp()) ON CONFLICT (observer) DO UPDATE SET seq = EXCLUDED.seq, "
                    + "written_at = EXCLUDED.written_at RETURNING written_at")) {
                s.setString(1, observer);
                s.setLong(2, sequence);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    at = rs.getTimestamp(1).toInstant();
                }
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState()) || "3F000".equals(e.getSQLState())) {
                    heartbeatReady.remove(url);
                }
                throw e;
            }
            if (localCommit) {
                c.commit();
            }
            return at;
        } catch (SQLException e) {
            if (localCommit) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the write failed already
                }
            }
            throw e;
        } finally {
            if (localCommit && c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
        }
    }

    private static void ensureHeartbeatTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA IF NOT EXISTS meridian_failover");
            s.execute("CREATE TABLE IF NOT EXISTS " + HEARTBEAT + " (observer text PRIMARY KEY, seq bigint NOT NULL, "
                    + "written_at timestamptz NOT NULL)");
        } catch (SQLException e) {
            // created concurrently by another observer
            if (!"23505".equals(e.getSQLState()) && !"42P06".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    private static @Nullable Instant newestHeartbeat(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet exists = s.executeQuery("SELECT to_regclass('" + HEARTBEAT + "') IS NOT NULL")) {
            exists.next();
            if (!exists.getBoolean(1)) {
                return null;
            }
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT max(written_at) FROM " + HEARTBEAT)) {
            rs.next();
            Timestamp at = rs.getTimestamp(1);
            return at == null ? null : at.toInstant();
        }
    }

    private static List<Replica> replicas(Connection c) throws SQLException {
        List<Replica> replicas = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                SELECT r.application_name, sl.slot_name, r.state, r.sent_lsn::text, r.flush_lsn::text, r.replay_lsn::text,
                       extract(epoch FROM r.replay_lag) * 1000, r.sync_state
                FROM pg_stat_replication r LEFT JOIN pg_replication_slots sl ON sl.active_pid = r.pid
                ORDER BY r.application_name
                """)) {
            while (rs.next()) {
                double lagValue = rs.getDouble(7);
                Double lag = rs.wasNull() ? null : lagValue;
                replicas.add(new Replica(String.valueOf(rs.getString(1)), rs.getString(2), String.valueOf(rs.getString(3)),
                        Lsn.parseNullable(rs.getString(4)), Lsn.parseNullable(rs.getString(5)), Lsn.parseNullable(rs.getString(6)),
                        lag, String.valueOf(rs.getString(8))));
            }
        }
        return replicas;
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(Duration.ofMillis(50).toNanos(), deadline - System.nanoTime()));
    }

    private static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    @Override
    public void close() {
        jdbc.close();
    }
}
