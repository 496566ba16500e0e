package io.meridian.failover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;

import io.meridian.failover.execution.ExecutorLease;
import io.meridian.failover.execution.LeaseLostException;
import io.meridian.failover.execution.OperationState;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestInfrastructure;
import tools.jackson.databind.JsonNode;

/**
 * The executor freezes in the middle of a failover (its thread stops before promoting, so it stops renewing its
 * lease); a second instance takes the lease over with a new fencing token and finishes the failover from the
 * persisted state; when the frozen one resumes, it cannot act.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ExecutorTakeoverIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;

    @Autowired
    TestStepGate gate;

    @Autowired
    ExecutorLease lease;

    static ConfigurableApplicationContext startSecondInstance() {
        TestInfrastructure infra = TestInfrastructure.get();
        return new SpringApplicationBuilder(FailoverServiceApplication.class).run(
                "--server.port=0",
                "--spring.datasource.url=" + infra.postgres().jdbcUrl("meridian"),
                "--spring.datasource.username=" + infra.postgres().user(),
                "--spring.kafka.bootstrap-servers=" + infra.kafka().bootstrapServers(),
                "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + infra.tokens().publicKeyFile(),
                "--meridian.failover.instance-id=failover-service@test-b");
    }

    @Test
    void anotherInstanceResumesAFailoverWhoseExecutorFrozeAndTheStaleOneCannotAct() throws Exception {
        FailoverApi api = new FailoverApi(port);
        try (PgCluster pg = PgCluster.start("crash", "us-crash-1", "us-crash-2");
                ExternalObserver gateway = new ExternalObserver("gateway@crash", Map.of("us-crash-1", pg.primary.jdbcUrl("app"),
                        "us-crash-2", pg.standby("us-crash-2").jdbcUrl("app")))) {
            api.register(pg, pg.registration());
            api.awaitHealthy("crash", "gateway@crash");
            await().atMost(FailoverApi.PATIENCE).until(lease::held);
            long tokenA = lease.token();

            TestStepGate.Arm arm = gate.arm("failover-service@test-a", "crash", OperationState.PROMOTING);
            api.drill("us-crash-1", "KILL");
            assertThat(arm.reached.await(90, TimeUnit.SECONDS)).as("the executor reached PROMOTING").isTrue();
            JsonNode held = api.operations("crash").get(0);
            assertThat(held.get("state").asString()).as("the step is persisted before it is carried out").isEqualTo("PROMOTING");
            assertThat(held.get("to").asString()).isEqualTo("us-crash-2");
            String id = held.get("id").asString();
            assertThat(pg.standby("us-crash-2").inRecovery()).isTrue();

            long tokenB;
            try (ConfigurableApplicationContext second = startSecondInstance()) {
                ExecutorLease leaseB = second.getBean(ExecutorLease.class);
                JsonNode op = api.awaitOperationById(id, "COMPLETED", "HALTED");
                assertThat(op.get("state").asString()).as(op.toString()).isEqualTo("COMPLETED");
                tokenB = leaseB.token();
                assertThat(tokenB).isGreaterThan(tokenA);
                JsonNode steps = op.get("steps");
                assertThat(steps).extracting(s -> s.get("state").asString() + "@" + s.get("executor").asString() + "#" + s.get("token").asLong())
                        .containsExactly("DETECTED@failover-service@test-a#" + tokenA, "FENCING@failover-service@test-a#" + tokenA,
                                "LAG_GATE@failover-service@test-a#" + tokenA, "PROMOTING@failover-service@test-b#" + tokenB,
                                "REROUTING@failover-service@test-b#" + tokenB, "VERIFYING@failover-service@test-b#" + tokenB);
                assertThat(pg.standby("us-crash-2").inRecovery()).isFalse();
                assertThat(op.get("measured").get("rtoMillis").asLong()).isPositive();

                // the frozen executor resumes: its lease is gone, so it does not act and cannot write
                long version = op.get("version").asLong();
                arm.release();
                assertThat(arm.passed.await(30, TimeUnit.SECONDS)).isTrue();
                assertThatThrownBy(lease::verify).isInstanceOf(LeaseLostException.class);
                await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10))
                        .until(() -> api.operation(id).get("version").asLong() == version && !lease.held() && leaseB.held());
            }
            // the second instance shut down and released the lease: the first takes it back with a newer token
            await().atMost(FailoverApi.PATIENCE).until(lease::held);
            assertThat(lease.token()).isGreaterThan(tokenB);
        } finally {
            api.remove("crash");
        }
    }
}
