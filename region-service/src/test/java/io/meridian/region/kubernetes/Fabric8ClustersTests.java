package io.meridian.region.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.meridian.common.region.RegionId;
import io.meridian.region.config.ManifestKind;
import io.meridian.region.config.ObjectRef;
import io.meridian.region.deployment.ClusterException;
import io.meridian.region.deployment.ClusterTarget;
import io.meridian.region.deployment.Clusters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class Fabric8ClustersTests {

    final JsonMapper json = JsonMapper.builder().build();

    JsonNode configMap(String name, String service) {
        return json.readTree("""
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s","namespace":"meridian",
                 "labels":{"app.kubernetes.io/managed-by":"meridian","meridian.dev/service":"%s"}},"data":{"A":"1"}}
                """.formatted(name, service));
    }

    @Test
    void reachesARegionThroughItsKubeconfigContextAndClassifiesFailures(@TempDir Path dir) throws Exception {
        try (MockCluster cluster = MockCluster.started()) {
            Path kubeconfig = dir.resolve("kubeconfig");
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: kc-test-1
                      cluster: {server: "%s"}
                    users:
                    - name: dev
                      user: {token: dev-token}
                    contexts:
                    - name: kc-test-1
                      context: {cluster: kc-test-1, user: dev, namespace: meridian}
                    current-context: kc-test-1
                    """.formatted(cluster.url()));
            Fabric8Clusters clusters = new Fabric8Clusters(new KubernetesProperties(Duration.ofSeconds(1), Duration.ofSeconds(5), true,
                    kubeconfig, null, false));
            // The API URL is wrong on purpose: with contexts preferred, the kubeconfig's server is used.
            ClusterTarget target = new ClusterTarget(RegionId.of("kc-test-1"), URI.create("http://127.0.0.1:9"), "kc-test-1");
            try {
                List<Clusters.ObjectEvent> seen = new CopyOnWriteArrayList<>();
                try (Clusters.Watch watch = clusters.watch(target, "meridian", seen::add)) {
                    clusters.create(target, "meridian", configMap("a-config", "alpha"));
                    clusters.create(target, "meridian", configMap("b-config", "beta"));
                    assertThat(clusters.get(target, "meridian", new ObjectRef(ManifestKind.CONFIG_MAP, "a-config"))).isPresent();
                    assertThat(clusters.listManaged(target, "meridian", "alpha")).extracting(o -> o.at("/metadata/name").asString())
                            .containsExactly("a-config");
                    JsonNode patched = clusters.patch(target, "meridian", new ObjectRef(ManifestKind.CONFIG_MAP, "a-config"),
                            json.readTree("[{\"op\":\"replace\",\"path\":\"/data/A\",\"value\":\"2\"}]"));
                    assertThat(patched.at("/data/A").asString()).isEqualTo("2");
                    assertThatThrownBy(() -> clusters.create(target, "meridian", configMap("a-config", "alpha")))
                            .isInstanceOfSatisfying(ClusterException.class, e -> {
                                assertThat(e.failure()).isEqualTo(ClusterException.Failure.CONFLICT);
                                assertThat(e.retryable()).isTrue();
                            });
                    assertThat(clusters.delete(target, "meridian", new ObjectRef(ManifestKind.CONFIG_MAP, "b-config"))).isTrue();
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seen)
                            .extracting(e -> e.type() + " " + e.ref())
                            .contains("ADDED ConfigMap/a-config", "MODIFIED ConfigMap/a-config", "DELETED ConfigMap/b-config"));
                }
                cluster.stop();
                assertThatThrownBy(() -> clusters.get(target, "meridian", new ObjectRef(ManifestKind.DEPLOYMENT, "web")))
                        .isInstanceOfSatisfying(ClusterException.class, e -> {
                            assertThat(e.failure()).isEqualTo(ClusterException.Failure.UNREACHABLE);
                            assertThat(e.getMessage()).contains("kc-test-1", "Connection refused");
                        });
            } finally {
                clusters.destroy();
            }
        }
    }
}
