package io.meridian.region.deployment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

import io.cloudevents.CloudEvent;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.meridian.common.deployment.DeploymentChanged;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.region.kubernetes.MockCluster;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ApiClient.Response;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DeploymentIntegrationTests extends ServiceIntegrationTest {

    @LocalServerPort
    int port;

    DeploymentFixtures fixtures() {
        return new DeploymentFixtures(new ApiClient(port));
    }

    @Test
    void aDownRegionFailsAloneSaysWhyAndARetryLaterCompletesIt() {
        DeploymentFixtures f = fixtures();
        try (MockCluster alpha = MockCluster.started(); MockCluster beta = MockCluster.started(); MockCluster gamma = MockCluster.down()) {
            f.region("dp-alpha-1", alpha.url());
            f.region("dp-beta-1", beta.url());
            f.region("dp-gamma-1", gamma.url());
            f.service("web", "");
            String id = f.deploy("web", "1.0.0", "dp-alpha-1", "dp-beta-1", "dp-gamma-1");

            JsonNode failed = f.awaitRegion(id, "dp-gamma-1", "FAILED");
            JsonNode gammaRun = DeploymentFixtures.region(failed, "dp-gamma-1");
            assertThat(gammaRun.get("reason").asString()).isEqualTo("ClusterUnreachable");
            assertThat(gammaRun.get("attempts").asInt()).as("retried with backoff").isEqualTo(3);
            assertThat(gammaRun.get("message").asString()).contains(gamma.url(), "after 3 attempts", "Connection refused");
            assertThat(gammaRun.at("/conditions/0/type").asString()).isEqualTo("Ready");
            assertThat(gammaRun.at("/conditions/0/status").asString()).isEqualTo("False");

            f.awaitRegion(id, "dp-alpha-1", "ROLLING_OUT");
            f.awaitRegion(id, "dp-beta-1", "ROLLING_OUT");
            Deployment live = alpha.deployment(DeploymentFixtures.NS, "web");
            assertThat(live.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
                    .isEqualTo("registry.dp-alpha-1.local:5000/meridian/web:1.0.0");
            assertThat(live.getMetadata().getLabels()).containsEntry("app.kubernetes.io/managed-by", "meridian");
            assertThat(alpha.client().configMaps().inNamespace("meridian").withName("web-config").get()).isNotNull();
            assertThat(alpha.client().services().inNamespace("meridian").withName("web").get()).isNotNull();
            assertThat(alpha.client().autoscaling().v2().horizontalPodAutoscalers().inNamespace("meridian").withName("web").get()
                    .getSpec().getMinReplicas()).isEqualTo(2);
            assertThat(alpha.client().policy().v1().podDisruptionBudget().inNamespace("meridian").withName("web").get()).isNotNull();
            assertThat(beta.deployment("meridian", "web").getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
                    .isEqualTo("registry.dp-beta-1.local:5000/meridian/web:1.0.0");

            JsonNode waiting = f.deployment(id);
            assertThat(DeploymentFixtures.region(waiting, "dp-alpha-1").get("reason").asString()).isEqualTo("WaitingForRollout");
            assertThat(waiting.get("state").asString()).isEqualTo("RUNNING");

            alpha.rollOut("meridian", "web", 2);
            beta.rollOut("meridian", "web", 2);
            f.awaitRegion(id, "dp-alpha-1", "SUCCEEDED");
            JsonNode partial = f.awaitRegion(id, "dp-beta-1", "SUCCEEDED");
            await().untilAsserted(() -> assertThat(f.deployment(id).get("state").asString()).isEqualTo("PARTIALLY_FAILED"));
            JsonNode alphaRun = DeploymentFixtures.region(partial, "dp-alpha-1");
            assertThat(alphaRun.get("revision").asInt()).isEqualTo(1);
            assertThat(alphaRun.at("/cluster/workloads/0/readyReplicas").asInt()).isEqualTo(2);
            assertThat(alphaRun.at("/cluster/workloads/0/observedGeneration").asLong())
                    .isEqualTo(alphaRun.at("/cluster/workloads/0/generation").asLong());
            assertThat(alphaRun.get("applied").toString()).contains("Deployment/web", "CREATE");

            gamma.start();
            assertThat(f.api().send("POST", "/api/v1/deployments/" + id + "/retry", TestTokens.viewer(), "{\"reason\":\"api back\"}")
                    .status()).isEqualTo(403);
            Response retried = f.api().send("POST", "/api/v1/deployments/" + id + "/retry", TestTokens.operator(), "{\"reason\":\"api back\"}");
            assertThat(retried.status()).as(retried.body()).isEqualTo(202);
            f.awaitRegion(id, "dp-gamma-1", "ROLLING_OUT");
            gamma.rollOut("meridian", "web", 2);
            JsonNode done = f.awaitRegion(id, "dp-gamma-1", "SUCCEEDED");
            await().untilAsserted(() -> assertThat(f.deployment(id).get("state").asString()).isEqualTo("SUCCEEDED"));
            assertThat(DeploymentFixtures.region(done, "dp-gamma-1").get("attempts").asInt()).isEqualTo(4);
            assertThat(f.api().send("POST", "/api/v1/deployments/" + id + "/retry", TestTokens.operator(), "{\"reason\":\"again\"}")
                    .json().get("type").asString()).isEqualTo("https://meridian.dev/problems/nothing-to-retry");

            // Queries by service and by region; status read from the clusters.
            assertThat(f.api().get("/api/v1/deployments?service=web", TestTokens.viewer()).json())
                    .anySatisfy(d -> assertThat(d.get("id").asString()).isEqualTo(id));
            assertThat(f.api().get("/api/v1/deployments?region=dp-gamma-1", TestTokens.viewer()).json())
                    .anySatisfy(d -> assertThat(d.get("id").asString()).isEqualTo(id));
            assertThat(f.api().get("/api/v1/deployments?region=dp-gamma-1&service=other", TestTokens.viewer()).json()).isEmpty();
            JsonNode releases = f.api().get("/api/v1/deployments/releases?service=web", TestTokens.viewer()).json();
            assertThat(releases).extracting(r -> r.get("region").asString()).contains("dp-alpha-1", "dp-beta-1", "dp-gamma-1");
            assertThat(releases).allSatisfy(r -> {
                assertThat(r.get("ready").asBoolean()).isTrue();
                assertThat(r.get("version").asString()).isEqualTo("1.0.0");
                assertThat(r.at("/cluster/workloads/0/readyReplicas").asInt()).isEqualTo(2);
            });
            assertThat(f.api().get("/api/v1/deployments/releases?region=dp-beta-1", TestTokens.viewer()).json())
                    .extracting(r -> r.get("service").asString()).containsExactly("web");

            // Audited and published.
            JsonNode audit = f.api().get("/api/v1/regions/audit?target=deployment/" + id, TestTokens.viewer()).json();
            assertThat(audit).extracting(r -> r.get("action").asString()).contains("deployment.create", "deployment.region.failed",
                    "deployment.retry", "deployment.region.succeeded");
            assertThat(audit).anySatisfy(r -> {
                assertThat(r.get("action").asString()).isEqualTo("deployment.region.failed");
                assertThat(r.get("detail").asString()).contains("dp-gamma-1", "ClusterUnreachable");
            });
            assertThat(audit).anySatisfy(r -> {
                assertThat(r.get("action").asString()).isEqualTo("deployment.create");
                assertThat(r.get("actor").asString()).isEqualTo("test-operator");
            });
            List<CloudEvent> events = DeploymentFixtures.events(id, list -> list.stream()
                    .anyMatch(e -> e.getType().equals(EventTypes.DEPLOYMENT_FINISHED)
                            && MeridianEvents.data(e, DeploymentChanged.class).state().equals("SUCCEEDED")));
            assertThat(events).extracting(CloudEvent::getType).contains(EventTypes.DEPLOYMENT_STARTED, EventTypes.DEPLOYMENT_REGION_CHANGED,
                    EventTypes.DEPLOYMENT_FINISHED);
            assertThat(events).extracting(MeridianEvents::version).isSorted();
            DeploymentChanged last = MeridianEvents.data(events.getLast(), DeploymentChanged.class);
            assertThat(last.regions()).extracting(DeploymentChanged.RegionOutcome::state).containsOnly("SUCCEEDED");
        }
    }

    @Test
    void aFirstDeploymentCreatesAtOnceAndTakesOverAnObjectTheClusterAlreadyHas() {
        DeploymentFixtures f = fixtures();
        try (MockCluster epsilon = MockCluster.started()) {
            f.region("dp-epsilon-1", epsilon.url());
            f.service("ex", "");
            // made out of band before Meridian ever deployed "ex": the create is refused (409), so it is read and patched
            epsilon.client().configMaps().inNamespace("meridian").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                    .withNewMetadata().withName("ex-config").withNamespace("meridian").addToLabels("owner", "someone-else").endMetadata()
                    .addToData("STALE", "yes").build()).create();

            String id = f.deploy("ex", "1.0", "dp-epsilon-1");
            JsonNode rolling = f.awaitRegion(id, "dp-epsilon-1", "ROLLING_OUT");
            JsonNode applied = DeploymentFixtures.region(rolling, "dp-epsilon-1").get("applied");
            Map<String, String> actions = new java.util.HashMap<>();
            applied.forEach(a -> actions.put(a.get("object").asString(), a.get("action").asString()));
            assertThat(actions).containsEntry("ConfigMap/ex-config", "UPDATE").containsEntry("Deployment/ex", "CREATE")
                    .containsEntry("Service/ex", "CREATE");
            assertThat(epsilon.client().configMaps().inNamespace("meridian").withName("ex-config").get().getMetadata().getLabels())
                    .containsEntry("app.kubernetes.io/managed-by", "meridian");
        }
    }

    @Test
    void previewsTheDiffDeploysAChangeAndRollsBackToThePreviousRevision() {
        DeploymentFixtures f = fixtures();
        try (MockCluster delta = MockCluster.started()) {
            f.region("dp-delta-1", delta.url());
            f.service("api", "");
            JsonNode preview = f.api().get("/api/v1/deployments/config/services/api/regions/dp-delta-1/diff?version=1.0", TestTokens.viewer())
                    .json();
            assertThat(preview.get("objects")).extracting(o -> o.get("action").asString()).containsOnly("CREATE").hasSize(5);
            Response yaml = f.api().get("/api/v1/deployments/config/services/api/regions/dp-delta-1/rendered?version=1.0&format=yaml",
                    TestTokens.viewer());
            assertThat(yaml.header("Content-Type")).startsWith("application/yaml");
            assertThat(yaml.body()).contains("kind: Deployment", "image: registry.dp-delta-1.local:5000/meridian/api:1.0", "namespace: meridian");

            String first = f.deploy("api", "1.0", "dp-delta-1");
            f.awaitRegion(first, "dp-delta-1", "ROLLING_OUT");
            delta.rollOut("meridian", "api", 2);
            f.awaitRegion(first, "dp-delta-1", "SUCCEEDED");
            assertThat(f.api().get("/api/v1/deployments/config/services/api/regions/dp-delta-1/diff", TestTokens.viewer()).json()
                    .get("objects")).as("the deployed version matches what runs").extracting(o -> o.get("action").asString())
                    .containsOnly("UNCHANGED");

            Response override = f.api().send("PUT", "/api/v1/deployments/config/values/services/api/regions/dp-delta-1", TestTokens.operator(),
                    "{\"values\":{\"config\":{\"FEATURE_X\":\"on\"},\"podDisruptionBudget\":{\"enabled\":false}}}");
            assertThat(override.status()).as(override.body()).isEqualTo(201);
            JsonNode diff = f.api().get("/api/v1/deployments/config/services/api/regions/dp-delta-1/diff?version=2.0", TestTokens.viewer())
                    .json();
            Map<String, JsonNode> byObject = new java.util.HashMap<>();
            diff.get("objects").forEach(o -> byObject.put(o.get("object").get("kind").asString(), o));
            assertThat(byObject.get("CONFIG_MAP").get("action").asString()).isEqualTo("UPDATE");
            // A real API server omits an empty map (Go's omitempty), so the whole map is added; the mock keeps {} as sent,
            // so the key is added to it. Either way the change adds FEATURE_X=on.
            assertThat(byObject.get("CONFIG_MAP").get("changes")).anySatisfy(c -> {
                assertThat(c.get("op").asString()).isEqualTo("ADD");
                if (c.get("field").asString().equals("data")) {
                    assertThat(c.get("after").get("FEATURE_X").asString()).isEqualTo("on");
                } else {
                    assertThat(c.get("field").asString()).isEqualTo("data.FEATURE_X");
                    assertThat(c.get("after").asString()).isEqualTo("on");
                }
            });
            assertThat(byObject.get("DEPLOYMENT").get("changes")).extracting(c -> c.get("field").asString())
                    .contains("spec.template.spec.containers[0].image");
            assertThat(byObject.get("DEPLOYMENT").get("patch").toString()).contains("\"op\":\"replace\"",
                    "/spec/template/spec/containers/0/image", "registry.dp-delta-1.local:5000/meridian/api:2.0");
            assertThat(byObject.get("HORIZONTAL_POD_AUTOSCALER").get("changes")).as("only the version annotation")
                    .extracting(c -> c.get("field").asString()).containsExactly("metadata.annotations[\"meridian.dev/version\"]");
            assertThat(byObject.get("POD_DISRUPTION_BUDGET").get("action").asString()).isEqualTo("DELETE");

            String second = f.deploy("api", "2.0", "dp-delta-1");
            f.awaitRegion(second, "dp-delta-1", "ROLLING_OUT");
            Response busy = f.api().send("POST", "/api/v1/deployments", TestTokens.operator(),
                    "{\"service\":\"api\",\"version\":\"2.1\",\"regions\":[\"dp-delta-1\"]}");
            assertThat(busy.status()).isEqualTo(409);
            assertThat(busy.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/deployment-in-progress");
            assertThat(busy.json().get("blocking").get("dp-delta-1").asString()).isEqualTo(second);
            delta.rollOut("meridian", "api", 2);
            JsonNode secondDone = f.awaitRegion(second, "dp-delta-1", "SUCCEEDED");
            assertThat(DeploymentFixtures.region(secondDone, "dp-delta-1").get("applied").toString())
                    .contains("PodDisruptionBudget/api", "DELETE");
            assertThat(delta.client().policy().v1().podDisruptionBudget().inNamespace("meridian").withName("api").get()).isNull();
            assertThat(delta.client().configMaps().inNamespace("meridian").withName("api-config").get().getData())
                    .containsEntry("FEATURE_X", "on");

            String rollbackPath = "/api/v1/deployments/releases/api/dp-delta-1/rollback";
            assertThat(f.api().send("POST", rollbackPath, TestTokens.viewer(), "{\"reason\":\"bad release\"}").status()).isEqualTo(403);
            Response noReason = f.api().send("POST", rollbackPath, TestTokens.operator(), "{}");
            assertThat(noReason.status()).isEqualTo(400);
            assertThat(noReason.json().get("field").asString()).isEqualTo("reason");
            Response rollback = f.api().send("POST", rollbackPath, TestTokens.operator(), "{\"reason\":\"2.0 breaks checkout\"}");
            assertThat(rollback.status()).as(rollback.body()).isEqualTo(202);
            assertThat(rollback.json().get("kind").asString()).isEqualTo("ROLLBACK");
            assertThat(rollback.json().get("version").asString()).isEqualTo("1.0");
            String third = rollback.json().get("id").asString();
            JsonNode rolling = f.awaitRegion(third, "dp-delta-1", "ROLLING_OUT");
            assertThat(DeploymentFixtures.region(rolling, "dp-delta-1").get("sourceRevision").asInt()).isEqualTo(1);
            delta.rollOut("meridian", "api", 2);
            f.awaitRegion(third, "dp-delta-1", "SUCCEEDED");

            assertThat(delta.deployment("meridian", "api").getSpec().getTemplate().getSpec().getContainers().getFirst().getImage())
                    .isEqualTo("registry.dp-delta-1.local:5000/meridian/api:1.0");
            assertThat(delta.client().configMaps().inNamespace("meridian").withName("api-config").get().getData())
                    .as("a key Meridian set and revision 1 lacks is removed").doesNotContainKey("FEATURE_X");
            assertThat(delta.client().policy().v1().podDisruptionBudget().inNamespace("meridian").withName("api").get()).isNotNull();
            JsonNode release = f.api().get("/api/v1/deployments/releases/api/dp-delta-1", TestTokens.viewer()).json();
            assertThat(release.get("revisions")).extracting(r -> r.get("revision").asInt() + " " + r.get("status").asString())
                    .containsExactly("3 DEPLOYED", "2 SUPERSEDED", "1 SUPERSEDED");
            assertThat(release.at("/release/version").asString()).isEqualTo("1.0");
            assertThat(release.at("/release/ready").asBoolean()).isTrue();
            JsonNode audit = f.api().get("/api/v1/regions/audit?target=deployment/" + third, TestTokens.viewer()).json();
            assertThat(audit).anySatisfy(r -> {
                assertThat(r.get("action").asString()).isEqualTo("deployment.rollback");
                assertThat(r.get("reason").asString()).isEqualTo("2.0 breaks checkout");
                assertThat(r.get("before").get("from").asInt()).isEqualTo(2);
                assertThat(r.get("before").get("to").asInt()).isEqualTo(1);
            });

            Response toMissing = f.api().send("POST", rollbackPath, TestTokens.operator(), "{\"reason\":\"x\",\"toRevision\":9}");
            assertThat(toMissing.json().get("field").asString()).isEqualTo("toRevision");
        }
    }

    @Test
    void aRolloutThatExceedsItsProgressDeadlineFailsTheRegion() {
        DeploymentFixtures f = fixtures();
        try (MockCluster zeta = MockCluster.started()) {
            f.region("dp-zeta-1", zeta.url());
            f.service("jobs", "");
            String id = f.deploy("jobs", "3.1", "dp-zeta-1");
            f.awaitRegion(id, "dp-zeta-1", "ROLLING_OUT");
            zeta.exceedProgressDeadline("meridian", "jobs");
            JsonNode failed = f.awaitRegion(id, "dp-zeta-1", "FAILED");
            JsonNode run = DeploymentFixtures.region(failed, "dp-zeta-1");
            assertThat(run.get("reason").asString()).isEqualTo("ProgressDeadlineExceeded");
            assertThat(run.get("message").asString()).contains("timed out progressing");
            // the deployment's own state follows its last region's in a later step: wait for it, as for SUCCEEDED above
            await().untilAsserted(() -> assertThat(f.deployment(id).get("state").asString()).isEqualTo("FAILED"));
            JsonNode revisions = f.api().get("/api/v1/deployments/releases/jobs/dp-zeta-1", TestTokens.viewer()).json().get("revisions");
            assertThat(revisions).extracting(r -> r.get("status").asString()).containsExactly("FAILED");
            assertThat(f.api().send("POST", "/api/v1/deployments/releases/jobs/dp-zeta-1/rollback", TestTokens.operator(),
                    "{\"reason\":\"nothing ran before\"}").json().get("type").asString())
                    .isEqualTo("https://meridian.dev/problems/no-previous-revision");
        }
    }

    @Test
    void badRequestsNameEveryFieldAndWriteNothing() {
        DeploymentFixtures f = fixtures();
        f.region("dp-eta-1", "http://127.0.0.1:9");
        f.service("eta", "");
        Response invalid = f.api().send("POST", "/api/v1/deployments", TestTokens.operator(),
                "{\"service\":\"Bad_Name\",\"version\":\"-1\",\"regions\":[\"dp-eta-1\",\"zz-none-1\",\"dp-eta-1\",\"NOPE\"]}");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().get("type").asString()).isEqualTo("https://meridian.dev/problems/validation");
        assertThat(invalid.json().get("errors")).extracting(e -> e.get("field").asString())
                .containsExactly("service", "version", "regions[1]", "regions[2]", "regions[3]");
        assertThat(f.api().send("POST", "/api/v1/deployments", TestTokens.operator(), "{\"service\":\"web\",\"version\":\"1\",\"regions\":[]}")
                .json().get("field").asString()).isEqualTo("regions");
        assertThat(f.api().get("/api/v1/deployments?region=dp-eta-1", TestTokens.viewer()).json()).isEmpty();
        assertThat(f.api().send("POST", "/api/v1/deployments", TestTokens.viewer(),
                "{\"service\":\"web\",\"version\":\"1\",\"regions\":[\"dp-eta-1\"]}").status()).isEqualTo(403);
        assertThat(f.api().get("/api/v1/deployments/" + java.util.UUID.randomUUID(), TestTokens.viewer()).status()).isEqualTo(404);
        assertThat(f.api().get("/api/v1/deployments/not-a-uuid", TestTokens.viewer()).json().get("field").asString()).isEqualTo("id");
        assertThat(f.api().get("/api/v1/deployments?limit=0", TestTokens.viewer()).json().get("field").asString()).isEqualTo("limit");
        assertThat(f.api().get("/api/v1/deployments/config/services/eta/regions/dp-eta-1/diff?version=1", TestTokens.viewer())
                .json().get("type").asString()).as("the region's API is down").isEqualTo("https://meridian.dev/problems/unavailable");
    }
}
