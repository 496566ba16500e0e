package io.meridian.region.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.cloudevents.CloudEvent;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.meridian.common.deployment.DriftDetected;
import io.meridian.common.region.RegionId;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.region.kubernetes.MockCluster;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DriftIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;

    @Test
    void outOfBandChangesAreReportedOrCorrectedPerPolicy() {
        DeploymentFixtures f = new DeploymentFixtures(new ApiClient(port));
        try (MockCluster cluster = MockCluster.started()) {
            f.region("dr-omega-1", cluster.url());
            f.service("shop", "\"drift\":{\"policy\":\"report\"}");
            f.service("cart", "\"drift\":{\"policy\":\"correct\"}");
            String shop = f.deploy("shop", "5.0", "dr-omega-1");
            String cart = f.deploy("cart", "7.0", "dr-omega-1");
            f.awaitRegion(shop, "dr-omega-1", "ROLLING_OUT");
            f.awaitRegion(cart, "dr-omega-1", "ROLLING_OUT");
            cluster.rollOut("meridian", "shop", 2);
            cluster.rollOut("meridian", "cart", 2);
            f.awaitRegion(shop, "dr-omega-1", "SUCCEEDED");
            f.awaitRegion(cart, "dr-omega-1", "SUCCEEDED");

            // Someone changes the images by hand.
            setImage(cluster, "shop", "evil/shop:hacked");
            setImage(cluster, "cart", "evil/cart:hacked");

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                JsonNode findings = f.api().get("/api/v1/deployments/drift?region=dr-omega-1&service=shop", TestTokens.viewer()).json();
                assertThat(findings).anySatisfy(finding -> {
                    assertThat(finding.get("action").asString()).isEqualTo("REPORTED");
                    assertThat(finding.get("object").asString()).isEqualTo("Deployment/shop");
                    assertThat(finding.get("changes").toString()).contains("spec.template.spec.containers[0].image", "evil/shop:hacked");
                });
            });
            assertThat(image(cluster, "shop")).as("report leaves the change in place").isEqualTo("evil/shop:hacked");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(image(cluster, "cart")).isEqualTo("registry.dr-omega-1.local:5000/meridian/cart:7.0"));
            assertThat(f.api().get("/api/v1/deployments/drift?service=cart", TestTokens.viewer()).json()).anySatisfy(finding -> {
                assertThat(finding.get("action").asString()).isEqualTo("CORRECTED");
                assertThat(finding.get("revision").asInt()).isEqualTo(1);
            });

            // Someone deletes an object: it comes back under the correct policy.
            cluster.client().services().inNamespace("meridian").withName("cart").delete();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(cluster.client().services().inNamespace("meridian").withName("cart").get()).isNotNull());

            JsonNode shopFindings = f.api().get("/api/v1/deployments/drift?service=shop", TestTokens.viewer()).json();
            assertThat(shopFindings).as("one report per distinct difference, not one per event").hasSize(1);
            JsonNode audit = f.api().get("/api/v1/regions/audit?target=release/cart/dr-omega-1", TestTokens.viewer()).json();
            assertThat(audit).extracting(r -> r.get("action").asString()).contains("deployment.drift.corrected");
            List<CloudEvent> events = DeploymentFixtures.events("shop/dr-omega-1", list -> !list.isEmpty());
            assertThat(events).first().satisfies(event -> {
                assertThat(event.getType()).isEqualTo(EventTypes.DEPLOYMENT_DRIFT_DETECTED);
                DriftDetected drift = MeridianEvents.data(event, DriftDetected.class);
                assertThat(drift.action()).isEqualTo("REPORTED");
                assertThat(drift.fields()).contains("spec.template.spec.containers[0].image");
            });
        }
    }

    @Autowired
    DriftWatcher drift;

    @Test
    void theReCheckFindsWhatTheWatchCannotSee() {
        DeploymentFixtures f = new DeploymentFixtures(new ApiClient(port));
        try (MockCluster cluster = MockCluster.started()) {
            f.region("dr-sigma-1", cluster.url());
            f.service("basket", "\"drift\":{\"policy\":\"correct\"}");
            String basket = f.deploy("basket", "3.0", "dr-sigma-1");
            f.awaitRegion(basket, "dr-sigma-1", "ROLLING_OUT");
            cluster.rollOut("meridian", "basket", 2);
            f.awaitRegion(basket, "dr-sigma-1", "SUCCEEDED");
            await().atMost(Duration.ofSeconds(30)).until(() -> drift.watching().contains(RegionId.of("dr-sigma-1")));

            // The API server comes back from an older backup without the objects: a watch's re-list shows no deletion.
            cluster.stop();
            cluster.start();
            assertThat(cluster.client().apps().deployments().inNamespace("meridian").withName("basket").get()).isNull();

            assertThat(drift.resync()).as("every deployed object of every region with a release").isGreaterThanOrEqualTo(5);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(cluster.deployment("meridian", "basket")).isNotNull();
                assertThat(cluster.client().services().inNamespace("meridian").withName("basket").get()).isNotNull();
                assertThat(cluster.client().configMaps().inNamespace("meridian").withName("basket-config").get()).isNotNull();
            });
            assertThat(image(cluster, "basket")).isEqualTo("registry.dr-sigma-1.local:5000/meridian/basket:3.0");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(f.api().get("/api/v1/deployments/drift?service=basket", TestTokens.viewer()).json()).anySatisfy(finding -> {
                        assertThat(finding.get("action").asString()).isEqualTo("CORRECTED");
                        assertThat(finding.get("object").asString()).isEqualTo("Deployment/basket");
                        assertThat(finding.get("changes").toString()).contains("(deleted)");
                    }));
        }
    }

    private static void setImage(MockCluster cluster, String name, String image) {
        var live = cluster.deployment("meridian", name);
        var changed = new DeploymentBuilder(live).editSpec().editTemplate().editSpec().editFirstContainer().withImage(image).endContainer()
                .endSpec().endTemplate().endSpec().build();
        cluster.client().apps().deployments().inNamespace("meridian").resource(changed).update();
    }

    private static String image(MockCluster cluster, String name) {
        return cluster.deployment("meridian", name).getSpec().getTemplate().getSpec().getContainers().getFirst().getImage();
    }
}
