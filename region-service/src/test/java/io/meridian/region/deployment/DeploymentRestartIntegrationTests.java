package io.meridian.region.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.transaction.PlatformTransactionManager;

import io.meridian.common.region.RegionId;
import io.meridian.region.config.ConfigService;
import io.meridian.region.kubernetes.MockCluster;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.support.audit.AuditLog;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * A crash in the middle of deployments: the executor is halted as a killed process would stop (no
 * lease given up), work piles up, and a new executor instance resumes everything from the database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DeploymentRestartIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;
    @Autowired
    DeploymentExecutor executor;
    @Autowired
    DeploymentRepository repository;
    @Autowired
    ConfigService config;
    @Autowired
    RegionRegistry registry;
    @Autowired
    Clusters clusters;
    @Autowired
    DeploymentEvents events;
    @Autowired
    AuditLog audit;
    @Autowired
    PlatformTransactionManager transactions;
    @Autowired
    DeploymentProperties properties;
    @Autowired
    MeterRegistry meters;
    @Autowired
    DriftWatcher drift;

    @Test
    void aNewInstanceResumesUnfinishedDeploymentsFromPersistedStateAndFencesTheOldOne() {
        DeploymentFixtures f = new DeploymentFixtures(new ApiClient(port));
        DeploymentExecutor resumed = new DeploymentExecutor(repository, config, registry, clusters, events, audit, transactions, properties,
                meters, drift);
        try (MockCluster alpha = MockCluster.started(); MockCluster beta = MockCluster.started()) {
            f.region("rs-alpha-1", alpha.url());
            f.region("rs-beta-1", beta.url());
            f.service("orders", "");
            f.service("billing", "");
            f.service("ledger", "");
            String orders = f.deploy("orders", "1.0", "rs-alpha-1", "rs-beta-1");
            f.awaitRegion(orders, "rs-alpha-1", "ROLLING_OUT");
            f.awaitRegion(orders, "rs-beta-1", "ROLLING_OUT");

            executor.halt();
            String billing = f.deploy("billing", "2.0", "rs-alpha-1");
            String ledger = f.deploy("ledger", "3.0", "rs-beta-1");
            alpha.rollOut("meridian", "orders", 2);
            beta.rollOut("meridian", "orders", 2);
            await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3)).untilAsserted(() -> {
                assertThat(DeploymentFixtures.region(f.deployment(orders), "rs-alpha-1").get("state").asString()).isEqualTo("ROLLING_OUT");
                assertThat(DeploymentFixtures.region(f.deployment(billing), "rs-alpha-1").get("state").asString()).isEqualTo("PENDING");
            });

            // Another instance claimed the ledger run and died: nobody else may take it until its lease expires.
            List<Claim> zombie = repository.claim("instance-a", 10, Duration.ofSeconds(2), Instant.now());
            Claim stale = zombie.stream().filter(c -> c.deploymentId().equals(UUID.fromString(ledger))).findFirst().orElseThrow();
            assertThat(repository.claim("instance-b", 10, Duration.ofSeconds(2), Instant.now()))
                    .noneMatch(c -> c.deploymentId().equals(UUID.fromString(ledger)));

            resumed.start();
            assertThat(resumed.instanceId()).isNotEqualTo(executor.instanceId());
            f.awaitRegion(orders, "rs-alpha-1", "SUCCEEDED");
            f.awaitRegion(orders, "rs-beta-1", "SUCCEEDED");
            f.awaitRegion(billing, "rs-alpha-1", "ROLLING_OUT");
            f.awaitRegion(ledger, "rs-beta-1", "ROLLING_OUT");
            assertThat(repository.transition(stale, RegionState.FAILED, "Zombie", "late write of a dead instance", 0, null, null, null, null,
                    null, Instant.now(), true, Instant.now())).as("the old lease is fenced off").isFalse();
            alpha.rollOut("meridian", "billing", 2);
            beta.rollOut("meridian", "ledger", 2);
            f.awaitRegion(billing, "rs-alpha-1", "SUCCEEDED");
            f.awaitRegion(ledger, "rs-beta-1", "SUCCEEDED");

            assertThat(repository.revisions("orders", RegionId.of("rs-alpha-1"))).as("resuming created no second revision")
                    .extracting(Revision::revision).containsExactly(1);
            assertThat(f.api().get("/api/v1/deployments/releases?region=rs-alpha-1", TestTokens.viewer()).json())
                    .extracting(r -> r.get("service").asString() + " " + r.get("ready").asBoolean())
                    .containsExactlyInAnyOrder("billing true", "orders true");
        } finally {
            resumed.stop();
            executor.start();
        }
    }
}
