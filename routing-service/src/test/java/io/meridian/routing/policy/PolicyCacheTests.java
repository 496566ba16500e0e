package io.meridian.routing.policy;

import static io.meridian.routing.RoutingFixtures.region;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.transaction.support.TransactionTemplate;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.routing.RoutingIntegrationTest;
import io.meridian.routing.engine.PolicyDocument;
import io.meridian.routing.inputs.RegionDirectory;
import io.meridian.routing.table.RoutingTables;

/**
 * The in-memory policy cache against the periodic refresh: a refresh on another thread that reads the
 * database while a policy change is still uncommitted must not leave the committed change unrouted.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class PolicyCacheTests extends RoutingIntegrationTest {

    @Autowired
    PolicyService service;
    @Autowired
    PolicyRepository repository;
    @Autowired
    RoutingTables tables;
    @Autowired
    RegionDirectory directory;
    @Autowired
    TransactionTemplate transactions;

    @Test
    void aRefreshReadingBeforeTheCommitDoesNotHideTheNewPolicy() throws Exception {
        fixtures().publishRegion(
                region("us-cache-1", ResidencyZone.US, "US", 38.9, -77.4, RegionStatus.ACTIVE, "192.0.2.81"), 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> directory.get(RegionId.of("us-cache-1")).isPresent());
        PolicyDocument policy = new PolicyDocument("cache-race", null, List.of("us-cache-1"), null,
                List.of(new PolicyDocument.RuleDocument("LATENCY", null, null, null, null, null, null)), null, null);

        transactions.executeWithoutResult(status -> {
            service.create(policy, "test");
            // what the periodic refresh does when it runs now, on its own thread: it cannot see the uncommitted row
            CompletableFuture.runAsync(repository::refresh).join();
        });

        assertThat(repository.policy("cache-race")).as("the cache after commit").isPresent();
        assertThat(tables.decider("cache-race")).as("the table compiled after commit").isPresent();
    }
}
