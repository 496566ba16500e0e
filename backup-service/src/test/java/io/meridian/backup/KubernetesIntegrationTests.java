package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestTokens;
import software.amazon.awssdk.core.sync.RequestBody;
import tools.jackson.databind.JsonNode;

/** A namespace backed up from one region's cluster and restored into another's, with per-resource checksums. */
class KubernetesIntegrationTests extends BackupIntegrationTest {

    private static void populate(KubernetesClient k8s, String ns) {
        k8s.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        k8s.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("settings").addToLabels("app", "web")
                .endMetadata().addToData("greeting", "hello").addToData("limit", "42").build()).create();
        k8s.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("db").endMetadata()
                .addToStringData("password", "s3cr3t").withType("Opaque").build()).create();
        k8s.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec()
                .addToSelector("app", "web").addNewPort().withPort(80).withNewTargetPort(8080).endPort().withClusterIP("10.0.0.12").endSpec()
                .build()).create();
        k8s.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata().withName("web").addToLabels("app", "web")
                .endMetadata().withNewSpec().withReplicas(3).withNewSelector().addToMatchLabels("app", "web").endSelector().withNewTemplate()
                .withNewMetadata().addToLabels("app", "web").endMetadata().withNewSpec().addNewContainer().withName("web")
                .withImage("registry.local/web:1.4.2").endContainer().endSpec().endTemplate().endSpec().build()).create();
    }

    @Test
    void aNamespaceRoundTripsIntoAnotherRegionsCluster() {
        try (KubernetesClient east = bed().kubernetes("us-east-1"); KubernetesClient west = bed().kubernetes("us-west-2")) {
            populate(east, "storefront");
            JsonNode backup = backupNow(Map.of("kind", "KUBERNETES", "region", "us-east-1", "source", "storefront",
                    "copyTargets", List.of("us-west-2"), "verification", "CHECKSUM"));
            assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");

            ApiClient.Response refused = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                    "targetRegion", "eu-west-1", "target", "storefront"), TestTokens.operator());
            assertProblem(refused, 409, "residency-violation", "targetRegion");

            ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                    "targetRegion", "us-west-2", "target", "storefront"), TestTokens.operator());
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            JsonNode restore = awaitRestore(started.json().get("id").asString());
            assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");
            assertThat(restore.get("result").get("resources").asInt()).isEqualTo(4);
            assertThat(restore.get("result").get("created")).hasSize(4);
            assertThat(restore.get("result").get("deleted")).as("a NEW restore deletes nothing").isEmpty();

            assertThat(west.configMaps().inNamespace("storefront").withName("settings").get().getData())
                    .containsEntry("greeting", "hello").containsEntry("limit", "42");
            assertThat(west.secrets().inNamespace("storefront").withName("db").get()).isNotNull();
            Deployment deployment = west.apps().deployments().inNamespace("storefront").withName("web").get();
            assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
            assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage()).isEqualTo("registry.local/web:1.4.2");
            assertThat(west.services().inNamespace("storefront").withName("web").get().getSpec().getPorts().getFirst().getPort()).isEqualTo(80);

            // restoring over the now populated namespace needs confirmation
            assertProblem(post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-west-2",
                    "target", "storefront"), TestTokens.operator()), 409, "confirmation-required", "confirm");
        }
    }

    @Test
    void replacingANamespaceDeletesWhatTheBackupDoesNotHoldAndListsWhatItDid() {
        try (KubernetesClient east = bed().kubernetes("us-east-1"); KubernetesClient west = bed().kubernetes("us-west-2")) {
            populate(east, "checkout");
            JsonNode backup = backupNow(Map.of("kind", "KUBERNETES", "region", "us-east-1", "source", "checkout",
                    "copyTargets", List.of("us-west-2"), "verification", "CHECKSUM"));
            assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");

            // the target namespace drifted: a changed config map, and resources the backup never had
            west.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("checkout").endMetadata().build()).create();
            west.configMaps().inNamespace("checkout").resource(new ConfigMapBuilder().withNewMetadata().withName("settings").endMetadata()
                    .addToData("greeting", "drifted").build()).create();
            west.configMaps().inNamespace("checkout").resource(new ConfigMapBuilder().withNewMetadata().withName("leftover").endMetadata()
                    .addToData("x", "y").build()).create();
            west.services().inNamespace("checkout").resource(new ServiceBuilder().withNewMetadata().withName("legacy").endMetadata()
                    .withNewSpec().addNewPort().withPort(81).endPort().endSpec().build()).create();
            Map<String, Object> request = Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-west-2", "target", "checkout",
                    "mode", "REPLACE", "confirm", "checkout");

            assertProblem(post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-west-2",
                    "target", "checkout", "mode", "REPLACE", "confirm", "checkout-2"), TestTokens.admin()), 409, "confirmation-required", "confirm");
            assertProblem(post("/api/v1/backups/restores", request, TestTokens.operator()), 403, "forbidden", null);
            assertThat(west.configMaps().inNamespace("checkout").withName("leftover").get()).as("nothing touched yet").isNotNull();

            ApiClient.Response started = post("/api/v1/backups/restores", request, TestTokens.admin());
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            JsonNode restore = awaitRestore(started.json().get("id").asString());
            assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");

            JsonNode result = restore.get("result");
            assertThat(result.get("created")).extracting(JsonNode::asString).containsExactlyInAnyOrder("Deployment/web", "Secret/db", "Service/web");
            assertThat(result.get("replaced")).extracting(JsonNode::asString).containsExactly("ConfigMap/settings");
            assertThat(result.get("deleted")).extracting(JsonNode::asString).containsExactlyInAnyOrder("ConfigMap/leftover", "Service/legacy");
            assertThat(west.configMaps().inNamespace("checkout").withName("leftover").get()).isNull();
            assertThat(west.services().inNamespace("checkout").withName("legacy").get()).isNull();
            assertThat(west.configMaps().inNamespace("checkout").withName("settings").get().getData()).containsEntry("greeting", "hello")
                    .containsEntry("limit", "42");
            assertThat(west.apps().deployments().inNamespace("checkout").withName("web").get()).isNotNull();
            JsonNode audit = api().get("/api/v1/backups/audit?target=restore/" + restore.get("id").asString(), TestTokens.viewer()).json();
            assertThat(audit).extracting(a -> a.get("action").asString()).contains("restore.start", "restore.finish");
        }
    }

    @Test
    void aTamperedResourceIsRefusedBeforeAnythingIsApplied() {
        try (KubernetesClient east = bed().kubernetes("us-east-1"); KubernetesClient west = bed().kubernetes("us-west-2")) {
            populate(east, "billing");
            JsonNode backup = backupNow(Map.of("kind", "KUBERNETES", "region", "us-east-1", "source", "billing", "verification", "NONE"));
            String key = backup.get("objectKey").asString();
            String document = bed().s3().getObjectAsBytes(b -> b.bucket(BackupTestBed.bucket("us-east-1")).key(key)).asUtf8String();
            // same length, one image changed: only the checksums can tell
            String tampered = document.replace("registry.local/web:1.4.2", "registry.evil0/web:1.4.2");
            assertThat(tampered).hasSameSizeAs(document).isNotEqualTo(document);
            bed().s3().putObject(b -> b.bucket(BackupTestBed.bucket("us-east-1")).key(key), RequestBody.fromString(tampered));

            ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                    "targetRegion", "us-west-2", "target", "billing"), TestTokens.operator());
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            JsonNode restore = awaitRestore(started.json().get("id").asString());
            assertThat(restore.get("status").asString()).isEqualTo("FAILED");
            assertThat(restore.get("error").asString()).contains("no copy matched its manifest", "us-east-1: part 1 of 1");
            assertThat(west.namespaces().withName("billing").get()).as("nothing applied").isNull();
        }
    }
}
