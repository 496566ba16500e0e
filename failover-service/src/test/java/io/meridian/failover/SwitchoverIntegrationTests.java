package io.meridian.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.meridian.failover.execution.OperationState;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/** Planned switchover on real PostgreSQL streaming replication, and the requests it refuses. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SwitchoverIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;

    @Autowired
    TestStepGate gate;

    ApiClient.Response switchover(FailoverApi api, String body) {
        return api.http.send("POST", "/api/v1/failover/switchover", TestTokens.operator(), body);
    }

    static void assertProblem(ApiClient.Response response, int status, String type) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.header("Content-Type")).startsWith("application/problem+json");
        assertThat(response.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/" + type);
    }

    @Test
    void plannedSwitchoverLosesNoAcknowledgedWriteMeasuresTheWritePauseAndRefusesBadRequests() throws Exception {
        FailoverApi api = new FailoverApi(port);
        try (PgCluster pg = PgCluster.start("plan", "us-plan-1", "us-plan-2", "eu-plan-1");
                ExternalObserver gateway = new ExternalObserver("gateway@plan", Map.of("us-plan-1", pg.primary.jdbcUrl("app"),
                        "us-plan-2", pg.standby("us-plan-2").jdbcUrl("app"), "eu-plan-1", pg.standby("eu-plan-1").jdbcUrl("app")))) {
            api.register(pg, pg.registration(null, Map.of("eu-plan-1", "EU"), Map.of()));
            PgCluster.sql(pg.primary, "CREATE TABLE ledger (id bigint PRIMARY KEY)");
            api.awaitHealthy("plan", "gateway@plan");

            // bad input, rejected with the reason and nothing started
            ApiClient.Response missing = switchover(api, "{}");
            assertProblem(missing, 400, "validation");
            assertThat(missing.json().get("field").asString()).isEqualTo("target");
            ApiClient.Response unknown = switchover(api, "{\"target\":\"us-nowhere-1\"}");
            assertProblem(unknown, 400, "validation");
            assertThat(unknown.json().get("detail").asString()).contains("not a member of any cluster");
            ApiClient.Response primary = switchover(api, "{\"target\":\"us-plan-1\"}");
            assertProblem(primary, 409, "not-a-standby");
            assertThat(primary.json().get("detail").asString()).contains("already the primary", "us-plan-2");
            ApiClient.Response otherZone = switchover(api, "{\"target\":\"eu-plan-1\"}");
            assertProblem(otherZone, 409, "residency-violation");
            assertThat(otherZone.json().get("detail").asString()).contains("zone EU", "primary us-plan-1 is in US");
            assertThat(api.http.send("POST", "/api/v1/failover/switchover", TestTokens.viewer(), "{\"target\":\"us-plan-2\"}").status())
                    .isEqualTo(403);
            assertThat(api.operations("plan")).isEmpty();

            try (LedgerWriter writer = new LedgerWriter(() -> primaryOf(api, "plan"))) {
                await().atMost(FailoverApi.PATIENCE).until(() -> writer.ackedOn("us-plan-1") >= 20);
                TestStepGate.Arm arm = gate.arm("failover-service@test-a", "plan", OperationState.LAG_GATE);
                ApiClient.Response accepted = switchover(api, "{\"target\":\"us-plan-2\",\"reason\":\"planned maintenance of us-plan-1\"}");
                assertThat(accepted.status()).as(accepted.body()).isEqualTo(202);
                String id = accepted.json().get("id").asString();
                assertThat(accepted.header("Location")).isEqualTo("/api/v1/failover/events/" + id);
                assertThat(arm.reached.await(90, TimeUnit.SECONDS)).isTrue();
                assertProblem(switchover(api, "{\"target\":\"us-plan-2\"}"), 409, "failover-in-progress");
                arm.release();

                JsonNode op = api.awaitOperationById(id, "COMPLETED", "HALTED", "ROLLED_BACK");
                assertThat(op.get("state").asString()).as(op.toString()).isEqualTo("COMPLETED");
                assertThat(op.get("kind").asString()).isEqualTo("SWITCHOVER");
                assertThat(op.get("reason").asString()).isEqualTo("planned maintenance of us-plan-1");
                assertThat(op.get("actor").asString()).isEqualTo("test-operator");
                assertThat(FailoverApi.stepNames(op)).containsExactly("DETECTED", "FENCING", "LAG_GATE", "PROMOTING", "REROUTING", "VERIFYING",
                        "REJOINING");
                assertThat(op.get("measured").get("rpoBytes").asLong()).isZero();
                long pause = op.get("measured").get("writePauseMillis").asLong();
                assertThat(pause).isPositive();
                assertThat(op.get("outcome").asString()).contains("writes paused " + pause + " ms", "us-plan-1 streams from us-plan-2");

                // the old primary follows the new one; the other standby was pointed at it too
                assertThat(api.role("plan", "us-plan-2")).isEqualTo("PRIMARY");
                assertThat(api.role("plan", "us-plan-1")).isEqualTo("STANDBY");
                assertThat(pg.standby("us-plan-2").inRecovery()).isFalse();
                assertThat(pg.primary.inRecovery()).isTrue();
                await().atMost(FailoverApi.PATIENCE).until(() -> PgCluster.streamsTo(pg.standby("us-plan-2"), "us-plan-1")
                        && PgCluster.streamsTo(pg.standby("us-plan-2"), "eu-plan-1"));

                await().atMost(FailoverApi.PATIENCE).until(() -> writer.ackedOn("us-plan-2") >= 20);
                writer.close();
                Instant fencedAt = Instant.parse(op.get("times").get("fencedAt").asString());
                assertThat(writer.acks()).as("writes accepted by the fenced primary")
                        .noneMatch(a -> a.region().equals("us-plan-1") && a.startedAt().isAfter(fencedAt));
                var onNewPrimary = PgCluster.ids(pg.standby("us-plan-2"), "ledger");
                assertThat(onNewPrimary).as("every acknowledged write survives").containsAll(writer.acks().stream().map(LedgerWriter.Ack::id).toList());
                await().atMost(FailoverApi.PATIENCE).until(() -> PgCluster.ids(pg.primary, "ledger").equals(onNewPrimary)
                        && PgCluster.ids(pg.standby("eu-plan-1"), "ledger").equals(onNewPrimary));
            }

            // and back: the old primary, fenced read-only by the first switchover, takes writes again once promoted
            api.awaitHealthy("plan", "gateway@plan");
            ApiClient.Response back = switchover(api, "{\"target\":\"us-plan-1\",\"reason\":\"maintenance done\"}");
            assertThat(back.status()).as(back.body()).isEqualTo(202);
            JsonNode returned = api.awaitOperationById(back.json().get("id").asString(), "COMPLETED", "HALTED", "ROLLED_BACK");
            assertThat(returned.get("state").asString()).as(returned.toString()).isEqualTo("COMPLETED");
            assertThat(api.role("plan", "us-plan-1")).isEqualTo("PRIMARY");
            assertThat(api.role("plan", "us-plan-2")).isEqualTo("STANDBY");
            PgCluster.sql(pg.primary, "INSERT INTO ledger VALUES (1)");
            await().atMost(FailoverApi.PATIENCE).until(() -> PgCluster.ids(pg.standby("us-plan-2"), "ledger").contains(1L));
            api.awaitHealthy("plan", "gateway@plan");
        } finally {
            api.remove("plan");
        }
    }

    static Map.Entry<String, String> primaryOf(FailoverApi api, String cluster) {
        for (JsonNode member : api.http.get("/api/v1/failover/clusters/" + cluster, TestTokens.viewer()).json().get("cluster").get("members")) {
            if (member.get("role").asString().equals("PRIMARY")) {
                return Map.entry(member.get("region").asString(), member.get("jdbcUrl").asString());
            }
        }
        throw new IllegalStateException("no primary");
    }
}
