package io.meridian.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import com.sun.net.httpserver.HttpServer;

import io.meridian.common.failover.FailoverEvent;
import io.meridian.stack.Jdk;
import io.meridian.stack.Ports;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/**
 * Unplanned failover on real PostgreSQL streaming replication: a killed primary, a frozen one, observers that
 * disagree, and a standby too far behind. This instance's own probes are one observer; an
 * {@link ExternalObserver} that publishes on Kafka, as a gateway would, is the second.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class FailoverIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;

    FailoverApi api() {
        return new FailoverApi(port);
    }

    static ExternalObserver observe(String name, PgCluster pg) {
        return new ExternalObserver(name, Map.of(pg.primary.name(), pg.primary.jdbcUrl("app"), pg.standbys.keySet().iterator().next(),
                pg.standbys.values().iterator().next().jdbcUrl("app")));
    }

    @Test
    void killedPrimaryIsFailedOverWithMeasuredRtoAndRpoThenRejoinsAsStandby() throws Exception {
        FailoverApi api = api();
        try (PgCluster pg = PgCluster.start("kill", "us-kill-1", "us-kill-2"); ExternalObserver gateway = observe("gateway@kill", pg)) {
            PostgresCluster standby = pg.standby("us-kill-2");
            api.register(pg, pg.registration());
            PgCluster.sql(pg.primary, "CREATE TABLE ledger (id bigint PRIMARY KEY)", "INSERT INTO ledger SELECT generate_series(1, 100)");
            api.awaitHealthy("kill", "gateway@kill");
            await().atMost(FailoverApi.PATIENCE).until(() -> PgCluster.ids(standby, "ledger").size() == 100);

            JsonNode drill = api.drill("us-kill-1", "KILL");
            JsonNode op = api.awaitOperation("kill", "COMPLETED", "HALTED", "ROLLED_BACK");

            assertThat(op.get("state").asString()).as(op.toString()).isEqualTo("COMPLETED");
            assertThat(op.get("kind").asString()).isEqualTo("FAILOVER");
            assertThat(op.get("from").asString()).isEqualTo("us-kill-1");
            assertThat(op.get("to").asString()).isEqualTo("us-kill-2");
            assertThat(op.get("actor").asString()).isEqualTo("system");
            assertThat(op.get("reason").asString()).contains("failed for 2 of", "gateway@kill", "failover-service@test-a");
            assertThat(FailoverApi.stepNames(op)).containsExactly("DETECTED", "FENCING", "LAG_GATE", "PROMOTING", "REROUTING", "VERIFYING");
            op.get("steps").forEach(step -> assertThat(step.get("startedAt").isNull()).isFalse());
            JsonNode times = op.get("times");
            assertThat(times.get("faultSource").asString()).startsWith("drill " + drill.get("id").asString());
            assertThat(times.get("faultAt").asString()).isEqualTo(drill.get("injectedAt").asString());
            for (String milestone : List.of("detectedAt", "fencedAt", "promotedAt", "firstWriteAt", "finishedAt")) {
                assertThat(times.get(milestone).isNull()).as(milestone).isFalse();
            }
            JsonNode measured = op.get("measured");
            assertThat(measured.get("rtoMillis").asLong()).isPositive();
            assertThat(measured.get("detectionMillis").asLong()).isPositive().isLessThan(measured.get("rtoMillis").asLong());
            assertThat(measured.get("rpoBytes").isNull()).isFalse();
            assertThat(measured.get("rpoBytes").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(measured.get("oldPrimaryLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(measured.get("promotedLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
            assertThat(op.get("condition").get("status").asString()).isEqualTo("True");

            // the new primary takes writes and has every row; the old one is fenced and out of the cluster
            assertThat(standby.inRecovery()).isFalse();
            PgCluster.sql(standby, "INSERT INTO ledger VALUES (101)");
            assertThat(PgCluster.ids(standby, "ledger")).hasSize(101);
            assertThat(api.role("kill", "us-kill-1")).isEqualTo("FENCED");
            assertThat(api.role("kill", "us-kill-2")).isEqualTo("PRIMARY");
            assertThat(FailoverApi.published(op.get("id").asString())).extracting(FailoverEvent::step)
                    .containsSubsequence(FailoverEvent.Step.DETECTED, FailoverEvent.Step.FENCED, FailoverEvent.Step.PROMOTED,
                            FailoverEvent.Step.COMPLETED);
            assertThat(api.http.get("/api/v1/failover/audit?target=cluster/kill", TestTokens.viewer()).json())
                    .anySatisfy(record -> assertThat(record.get("action").asString()).isEqualTo("failover.finish"));

            // rejoin: the old primary is re-seeded by a fresh base backup and streams from the new primary
            ApiClient.Response asOperator = api.http.send("POST", "/api/v1/failover/rejoin", TestTokens.operator(), "{\"region\":\"us-kill-1\"}");
            assertThat(asOperator.status()).as("rejoin replaces data: admin only").isEqualTo(403);
            ApiClient.Response primaryRejoin = api.http.send("POST", "/api/v1/failover/rejoin", TestTokens.admin(), "{\"region\":\"us-kill-2\"}");
            assertThat(primaryRejoin.status()).isEqualTo(409);
            assertThat(primaryRejoin.json().get("type").asString()).endsWith("/is-primary");
            ApiClient.Response rejoin = api.http.send("POST", "/api/v1/failover/rejoin", TestTokens.admin(), "{\"region\":\"us-kill-1\"}");
            assertThat(rejoin.status()).as(rejoin.body()).isEqualTo(202);
            JsonNode rejoined = api.awaitOperationById(rejoin.json().get("id").asString(), "COMPLETED", "HALTED");
            assertThat(rejoined.get("state").asString()).as(rejoined.toString()).isEqualTo("COMPLETED");
            // before re-seeding, the old primary's own WAL says what the failover really lost
            JsonNode verified = rejoined.get("measured");
            assertThat(verified.get("rpoBasis").asString()).contains("measured before re-seeding", op.get("id").asString());
            assertThat(verified.get("rpoBytes").asLong()).isGreaterThanOrEqualTo(0);
            assertThat(verified.get("lostCommits").asInt()).isGreaterThanOrEqualTo(0);
            assertThat(verified.get("promotedLsn").asString()).isEqualTo(measured.get("promotedLsn").asString());
            assertThat(rejoined.get("outcome").asString()).contains("failover " + op.get("id").asString() + " lost");
            assertThat(api.role("kill", "us-kill-1")).isEqualTo("STANDBY");
            assertThat(pg.primary.inRecovery()).isTrue();
            assertThat(PgCluster.streamsTo(standby, "us-kill-1")).isTrue();
            PgCluster.sql(standby, "INSERT INTO ledger VALUES (102)");
            await().atMost(FailoverApi.PATIENCE).until(() -> PgCluster.ids(pg.primary, "ledger").contains(102L));
            assertThat(FailoverApi.published(rejoined.get("id").asString())).extracting(FailoverEvent::step)
                    .contains(FailoverEvent.Step.REJOINED);
            api.awaitHealthy("kill", "gateway@kill");
        } finally {
            api.remove("kill");
        }
    }

    @Test
    void frozenPrimaryIsFencedAndAcceptsNoWritesWhenItResumes() throws Exception {
        FailoverApi api = api();
        try (PgCluster pg = PgCluster.start("frozen", "us-frozen-1", "us-frozen-2"); ExternalObserver gateway = observe("gateway@frozen", pg)) {
            api.register(pg, pg.registration());
            PgCluster.sql(pg.primary, "CREATE TABLE ledger (id bigint PRIMARY KEY)");
            api.awaitHealthy("frozen", "gateway@frozen");
            // a session opened before the freeze: if the old primary ever resumed as a writer, it would write here
            try (Connection before = pg.primary.connect("app")) {
                api.drill("us-frozen-1", "FREEZE");
                JsonNode op = api.awaitOperation("frozen", "COMPLETED", "HALTED", "ROLLED_BACK");
                assertThat(op.get("state").asString()).as(op.toString()).isEqualTo("COMPLETED");
                JsonNode fencing = op.get("steps").get(1);
                assertThat(fencing.get("state").asString()).isEqualTo("FENCING");
                assertThat(fencing.get("detail").asString()).contains("killed postmaster", "standby.signal");
                assertThat(op.get("decision").get("failedBy")).as("a frozen server accepts connections and never answers")
                        .allSatisfy(voter -> assertThat(voter.asString()).contains("no answer"));

                // it resumes: the frozen processes are gone, the old session is dead
                pg.primary.thaw();
                assertThatThrownBy(() -> {
                    try (Statement s = before.createStatement()) {
                        s.execute("INSERT INTO ledger VALUES (1)");
                    }
                }).isInstanceOf(SQLException.class);
            }
            assertThat(pg.primary.isRunning()).isFalse();
            assertThatThrownBy(() -> PgCluster.sql(pg.primary, "INSERT INTO ledger VALUES (2)")).isInstanceOf(SQLException.class);
            // and whoever restarts it gets a read-only server in recovery, not a second primary
            pg.primary.start();
            assertThat(pg.primary.inRecovery()).isTrue();
            assertThatThrownBy(() -> PgCluster.sql(pg.primary, "INSERT INTO ledger VALUES (3)")).isInstanceOf(SQLException.class)
                    .hasMessageContaining("read-only");
            PgCluster.sql(pg.standby("us-frozen-2"), "INSERT INTO ledger VALUES (4)");
            assertThat(PgCluster.ids(pg.standby("us-frozen-2"), "ledger")).containsExactly(4L);
        } finally {
            api.remove("frozen");
        }
    }

    @Test
    void observersThatDisagreeDoNotFailOver() throws Exception {
        FailoverApi api = api();
        try (PgCluster pg = PgCluster.start("split", "us-split-1", "us-split-2"); TcpProxy path = new TcpProxy(pg.primary.port())) {
            // this instance reaches the primary through a path that the test cuts; the other observer reaches it directly
            api.register(pg, pg.registration(null, Map.of(), Map.of("us-split-1", "jdbc:postgresql://127.0.0.1:" + path.port() + "/app")));
            try (ExternalObserver gateway = observe("gateway@split", pg)) {
                api.awaitHealthy("split", "gateway@split");
                path.cut();
                await().atMost(FailoverApi.PATIENCE).untilAsserted(() -> {
                    JsonNode now = api.cluster("split");
                    assertThat(now.get("decision").get("code").asString()).as(now.toString()).isEqualTo("OBSERVERS_DISAGREE");
                });
                JsonNode decision = api.cluster("split").get("decision");
                assertThat(decision.get("act").asBoolean()).isFalse();
                assertThat(decision.get("reasons").get(0).asString()).contains("healthy for gateway@split", "partition seen from one side only");
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> api.operations("split").isEmpty());
                assertThat(api.decision("split")).isEqualTo("OBSERVERS_DISAGREE");
            }
            // the other observer goes quiet: one observer alone is no quorum either
            await().atMost(FailoverApi.PATIENCE).until(() -> api.decision("split").equals("AWAITING_QUORUM"));
            assertThat(api.cluster("split").get("decision").get("reasons").get(0).asString()).contains("1 of the 2 observers required");
            assertThat(api.operations("split")).isEmpty();
            assertThat(pg.primary.inRecovery()).isFalse();
            assertThat(pg.standby("us-split-2").inRecovery()).isTrue();
            JsonNode history = api.cluster("split").get("decisions");
            assertThat(history).extracting(d -> d.get("code").asString()).contains("OBSERVERS_DISAGREE", "AWAITING_QUORUM");
        } finally {
            api.remove("split");
        }
    }

    @Test
    void eachRegionsApplicationHealthIsProbedAndReportedBesideItsDatabaseWithoutDecidingAFailover() throws Exception {
        FailoverApi api = api();
        HttpServer app = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        app.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        app.start();
        int nothingListens = Ports.freePort();
        try (PgCluster pg = PgCluster.start("app", "us-app-1", "us-app-2")) {
            api.register(pg, pg.registration(null, Map.of(), Map.of(), Map.of(
                    "us-app-1", "http://127.0.0.1:" + app.getAddress().getPort() + "/health",
                    "us-app-2", "http://127.0.0.1:" + nothingListens + "/health")));
            await().atMost(FailoverApi.PATIENCE).untilAsserted(() -> {
                JsonNode up = api.member("app", "us-app-1").path("probe").path("app");
                JsonNode down = api.member("app", "us-app-2").path("probe").path("app");
                assertThat(up.path("up").asBoolean()).as(up.toString()).isTrue();
                assertThat(up.path("status").asInt()).isEqualTo(200);
                assertThat(down.path("up").asBoolean()).as(down.toString()).isFalse();
                assertThat(down.path("status").asInt()).isZero();
                assertThat(api.member("app", "us-app-2").path("probe").path("detail").asString()).contains("app down");
            });
            // an application that is down is reported, not failed over: the databases are healthy
            assertThat(api.decision("app")).isEqualTo("HEALTHY");
            assertThat(api.operations("app")).isEmpty();
        } finally {
            app.stop(0);
            api.remove("app");
        }
    }

    @Test
    void drillsFreezeThawAndKillARegionsApplicationWithoutFailingItsDatabaseOver() throws Exception {
        FailoverApi api = api();
        int port = Ports.freePort();
        Path dir = Files.createTempDirectory("meridian-app-");
        Path source = dir.resolve("HealthApp.java");
        // the region's application in a process of its own, so that the drill can signal it
        Files.writeString(source, """
                import com.sun.net.httpserver.HttpServer;
                import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
                public class HealthApp {
                    public static void main(String[] args) throws Exception {
                        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 0);
                        server.createContext("/health", exchange -> { exchange.sendResponseHeaders(200, -1); exchange.close(); });
                        server.start();
                    }
                }
                """);
        Process app = new ProcessBuilder(Jdk.javaExecutable().toString(), source.toString(), Integer.toString(port))
                .redirectErrorStream(true).redirectOutput(dir.resolve("app.log").toFile()).start();
        try (PgCluster pg = PgCluster.start("appdrill", "us-appd-1", "us-appd-2")) {
            api.register(pg, pg.registration(null, Map.of(), Map.of(), Map.of("us-appd-1", "http://127.0.0.1:" + port + "/health")));
            await().atMost(FailoverApi.PATIENCE).until(() -> api.member("appdrill", "us-appd-1").path("probe").path("app").path("up").asBoolean());

            ApiClient.Response frozen = api.http.send("POST", "/api/v1/failover/drills", TestTokens.admin(),
                    "{\"region\": \"us-appd-1\", \"action\": \"FREEZE\", \"target\": \"APP\", \"reason\": \"gray app\"}");
            assertThat(frozen.status()).as(frozen.body()).isEqualTo(201);
            assertThat(frozen.json().get("target").asString()).isEqualTo("APP");
            await().atMost(FailoverApi.PATIENCE).until(() -> !api.member("appdrill", "us-appd-1").path("probe").path("app").path("up").asBoolean(true));
            assertThat(app.isAlive()).isTrue();

            api.http.send("POST", "/api/v1/failover/drills", TestTokens.admin(),
                    "{\"region\": \"us-appd-1\", \"action\": \"THAW\", \"target\": \"APP\", \"reason\": \"resume\"}");
            await().atMost(FailoverApi.PATIENCE).until(() -> api.member("appdrill", "us-appd-1").path("probe").path("app").path("up").asBoolean());

            ApiClient.Response killed = api.http.send("POST", "/api/v1/failover/drills", TestTokens.admin(),
                    "{\"region\": \"us-appd-1\", \"action\": \"KILL\", \"target\": \"APP\", \"reason\": \"crash\"}");
            assertThat(killed.status()).as(killed.body()).isEqualTo(201);
            await().atMost(FailoverApi.PATIENCE).until(() -> !app.isAlive());
            // the application's faults are reported, never a reason to fail the healthy database over
            assertThat(api.decision("appdrill")).isEqualTo("HEALTHY");
            assertThat(api.operations("appdrill")).isEmpty();
            assertThat(pg.primary.inRecovery()).isFalse();
            // a member without an application endpoint cannot take an APP drill
            ApiClient.Response refused = api.http.send("POST", "/api/v1/failover/drills", TestTokens.admin(),
                    "{\"region\": \"us-appd-2\", \"action\": \"KILL\", \"target\": \"APP\", \"reason\": \"none\"}");
            assertThat(refused.status()).isEqualTo(400);
            assertThat(refused.body()).contains("target");
        } finally {
            app.destroyForcibly();
            api.remove("appdrill");
        }
    }

    @Test
    void standbyBeyondTheLagBoundHaltsInsteadOfPromoting() throws Exception {
        FailoverApi api = api();
        try (PgCluster pg = PgCluster.start("lag", "us-lag-1", "us-lag-2"); ExternalObserver gateway = observe("gateway@lag", pg)) {
            PostgresCluster standby = pg.standby("us-lag-2");
            api.register(pg, pg.registration(1L << 20, Map.of(), Map.of()));
            api.awaitHealthy("lag", "gateway@lag");
            // the standby stops receiving WAL, then the primary writes ~8 MB it never gets
            PgCluster.sql(standby, "ALTER SYSTEM SET primary_conninfo = ''", "SELECT pg_reload_conf()");
            await().atMost(FailoverApi.PATIENCE).until(() -> !PgCluster.streamsTo(pg.primary, "us-lag-2"));
            PgCluster.sql(pg.primary, "CREATE TABLE filler (id int, pad text)",
                    "INSERT INTO filler SELECT i, repeat('x', 1000) FROM generate_series(1, 8000) i");
            await().atMost(FailoverApi.PATIENCE).until(() -> {
                JsonNode lag = api.member("lag", "us-lag-2").get("lagBytes");
                return lag != null && !lag.isNull() && lag.asLong() > (1L << 20);
            });

            api.drill("us-lag-1", "KILL");
            JsonNode op = api.awaitOperation("lag", "COMPLETED", "HALTED", "ROLLED_BACK");

            assertThat(op.get("state").asString()).as(op.toString()).isEqualTo("HALTED");
            assertThat(op.get("condition").get("status").asString()).isEqualTo("False");
            assertThat(op.get("condition").get("reason").asString()).isEqualTo("ReplicationLagExceeded");
            assertThat(op.get("outcome").asString()).contains("no standby is within the lag bound of 1048576 bytes", "us-lag-2 misses");
            JsonNode candidate = op.get("candidates").get(0);
            assertThat(candidate.get("withinBound").asBoolean()).isFalse();
            assertThat(candidate.get("lagBytes").asLong()).isGreaterThan(1L << 20);
            assertThat(FailoverApi.stepNames(op)).containsExactly("DETECTED", "FENCING", "LAG_GATE");
            assertThat(op.get("to").isNull()).isTrue();
            assertThat(standby.inRecovery()).as("not promoted").isTrue();
            assertThat(api.role("lag", "us-lag-1")).isEqualTo("FENCED");
            assertThat(api.role("lag", "us-lag-2")).isEqualTo("STANDBY");
            await().atMost(FailoverApi.PATIENCE).until(() -> api.decision("lag").equals("NO_PRIMARY"));
            assertThat(FailoverApi.published(op.get("id").asString())).extracting(FailoverEvent::step).contains(FailoverEvent.Step.HALTED);
        } finally {
            api.remove("lag");
        }
    }
}
