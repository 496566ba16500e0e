package io.meridian.stack.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.meridian.stack.Ports;
import io.meridian.stack.TestDirs;
import io.meridian.stack.process.Processes;

/**
 * Starts and stops real PostgreSQL clusters the way the local stack and the service tests do.
 */
class PostgresClusterIntegrationTests {

    private Path base;
    private final List<PostgresCluster> clusters = new ArrayList<>();

    @BeforeEach
    void createBase() {
        base = TestDirs.create("meridian-pg-test-");
    }

    @AfterEach
    void stopEverything() {
        for (PostgresCluster cluster : clusters.reversed()) {
            try {
                cluster.thaw();
                cluster.stop();
            } catch (RuntimeException e) {
                System.err.println("Could not stop " + cluster + ", killing it: " + e);
                cluster.kill();
            }
        }
        TestDirs.delete(base);
    }

    @Test
    void initialisesStartsStopsRestartsAndRecoversFromAKill() throws Exception {
        int port = Ports.freePort();
        PostgresCluster pg = track(PostgresCluster.builder("primary", base.resolve("data/primary"), port)
                .setting("max_connections", "40").build());
        assertThat(pg.isRunning()).isFalse();
        assertThat(pg.pid()).isEmpty();

        pg.initIfNeeded().start();
        assertThat(pg.isRunning()).isTrue();
        long pid = pg.pid().orElseThrow();
        assertThat(PostgresCluster.runningPid(pg.dataDir())).hasValue(pid);
        assertThat(pg.start().pid()).hasValue(pid);
        assertThat(pg.initIfNeeded().pid()).hasValue(pid);
        if (Processes.isRoot()) {
            assertThat(Files.getOwner(pg.dataDir()).getName()).isEqualTo("postgres");
        }
        assertThat(pg.jdbcUrl("orders")).isEqualTo("jdbc:postgresql://127.0.0.1:" + port + "/orders");
        assertThat(pg.inRecovery()).isFalse();
        assertThat(query(pg, "postgres", "SHOW wal_level")).isEqualTo("logical");
        assertThat(query(pg, "postgres", "SHOW max_connections")).isEqualTo("40");
        assertThat(query(pg, "postgres", "SHOW listen_addresses")).isEqualTo("127.0.0.1");

        pg.createDatabase("orders");
        pg.createDatabase("orders");
        assertThatThrownBy(() -> pg.createDatabase("Robert'); DROP")).isInstanceOf(IllegalArgumentException.class);
        execute(pg, "orders", "CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)");
        execute(pg, "orders", "INSERT INTO items VALUES (1, 'first')");
        assertThat(query(pg, "orders", "SELECT label FROM items WHERE id = 1")).isEqualTo("first");

        pg.stop();
        assertThat(pg.isRunning()).isFalse();
        assertThat(PostgresCluster.runningPid(pg.dataDir())).isEmpty();
        assertThatThrownBy(() -> pg.connect("orders").close()).isInstanceOf(SQLException.class);
        pg.stop();

        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThatThrownBy(pg::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + port);
        }

        PostgresCluster again = PostgresCluster.builder("primary", base.resolve("data/primary"), port)
                .setting("max_connections", "40").build();
        again.initIfNeeded().start();
        assertThat(query(again, "orders", "SELECT label FROM items WHERE id = 1")).isEqualTo("first");
        execute(again, "orders", "INSERT INTO items VALUES (2, 'committed before the crash')");

        long before = again.pid().orElseThrow();
        again.kill();
        assertThat(again.isRunning()).isFalse();
        assertThat(Processes.isAlive(before)).isFalse();

        again.start();
        assertThat(again.pid()).isPresent().isNotEqualTo(OptionalLong.of(before));
        assertThat(query(again, "orders", "SELECT string_agg(label, ',' ORDER BY id) FROM items"))
                .isEqualTo("first,committed before the crash");
        assertThat(again.logTail(200)).contains("database system was interrupted");
    }

    @Test
    void streamingStandbyFollowsThePrimaryAndRejectsWrites() throws Exception {
        int[] ports = Ports.freePorts(2);
        PostgresCluster primary = track(PostgresCluster.builder("primary", base.resolve("primary"), ports[0]).build())
                .initIfNeeded().start();
        primary.createDatabase("regions");
        execute(primary, "regions", "CREATE TABLE region (id text PRIMARY KEY)");
        execute(primary, "regions", "INSERT INTO region VALUES ('eu-west-1')");

        PostgresCluster standby = track(PostgresCluster.standbyOf(primary, "standby", base.resolve("standby"),
                ports[1], "standby_slot"));
        assertThat(standby.isRunning()).isFalse();
        standby.start();

        assertThat(standby.inRecovery()).isTrue();
        assertThat(primary.inRecovery()).isFalse();
        assertThat(query(standby, "regions", "SELECT count(*) FROM region")).isEqualTo("1");

        execute(primary, "regions", "INSERT INTO region VALUES ('us-east-1')");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(query(standby, "regions", "SELECT count(*) FROM region WHERE id = 'us-east-1'"))
                        .isEqualTo("1"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(query(primary, "postgres",
                "SELECT active FROM pg_replication_slots WHERE slot_name = 'standby_slot'")).isEqualTo("t"));

        assertThatThrownBy(() -> execute(standby, "regions", "INSERT INTO region VALUES ('ap-south-1')"))
                .isInstanceOfSatisfying(SQLException.class,
                        e -> assertThat(e.getSQLState()).isEqualTo("25006")); // read_only_sql_transaction

        PostgresCluster sameStandby = PostgresCluster.standbyOf(primary, "standby", base.resolve("standby"),
                ports[1], "standby_slot");
        assertThat(sameStandby.pid()).isEqualTo(standby.pid());

        // gray failure: the frozen primary keeps its processes and connections but answers nothing
        long postmaster = primary.pid().orElseThrow();
        List<Long> children = ProcessHandle.of(postmaster).orElseThrow().children().map(ProcessHandle::pid).toList();
        assertThat(children).isNotEmpty();
        primary.freeze();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(Processes.state(postmaster)).contains('T');
            // a backend of a just-closed connection may have exited meanwhile; the rest must be stopped
            List<Character> states = children.stream().map(Processes::state).flatMap(Optional::stream)
                    .toList();
            assertThat(states).hasSizeGreaterThanOrEqualTo(3).containsOnly('T');
        });
        assertThat(primary.isRunning()).isTrue();
        primary.thaw();
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Processes.state(postmaster))
                .isPresent().get().isNotEqualTo('T'));
        execute(primary, "regions", "INSERT INTO region VALUES ('ap-south-1')");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(query(standby, "regions", "SELECT count(*) FROM region")).isEqualTo("3"));
    }

    private PostgresCluster track(PostgresCluster cluster) {
        clusters.add(cluster);
        return cluster;
    }

    private static void execute(PostgresCluster pg, String database, String sql) throws SQLException {
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static String query(PostgresCluster pg, String database, String sql) throws SQLException {
        try (Connection c = pg.connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
