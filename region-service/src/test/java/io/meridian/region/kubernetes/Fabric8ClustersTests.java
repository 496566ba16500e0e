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
    void readsWritesAndDeletesEveryManagedKindAtItsApiPath() throws Exception {
        try (MockCluster cluster = MockCluster.started()) {
            Fabric8Clusters clusters = new Fabric8Clusters(new KubernetesProperties(Duration.ofSeconds(1), Duration.ofSeconds(5), false,
                    null, null, false));
            ClusterTarget target = new ClusterTarget(RegionId.of("kc-test-2"), URI.create(cluster.url()), null);
            try {
                List<JsonNode> objects = List.of(
                        json.readTree("""
                                {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":2,
                                 "selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
                                 "spec":{"containers":[{"name":"web","image":"registry.example/web:1.0.0"}]}}}}"""),
                        json.readTree("""
                                {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},
                                 "ports":[{"port":80,"targetPort":8080}]}}"""),
                        json.readTree("""
                                {"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
                                 "spec":{"minReplicas":2,"maxReplicas":5,"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}}}"""),
                        json.readTree("""
                                {"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web"},
                                 "spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"web"}}}}"""));
                List<String> paths = List.of("/apis/apps/v1/namespaces/meridian/deployments", "/api/v1/namespaces/meridian/services",
                        "/apis/autoscaling/v2/namespaces/meridian/horizontalpodautoscalers",
                        "/apis/policy/v1/namespaces/meridian/poddisruptionbudgets");
                for (int i = 0; i < objects.size(); i++) {
                    JsonNode object = objects.get(i);
                    ObjectRef ref = ObjectRef.of(object);
                    assertThat(clusters.get(target, "meridian", ref)).isEmpty();
                    clusters.create(target, "meridian", object);
                    assertThat(cluster.lastRequest().getPath()).isEqualTo(paths.get(i));
                    // As the API server stores it, in the kind the client asked for.
                    assertThat(clusters.get(target, "meridian", ref)).hasValueSatisfying(stored -> {
                        assertThat(stored.at("/kind").asString()).isEqualTo(ref.kind().kind());
                        assertThat(stored.at("/metadata/name").asString()).isEqualTo("web");
                        assertThat(stored.at("/spec")).isEqualTo(object.at("/spec"));
                    });
                    assertThatThrownBy(() -> clusters.create(target, "meridian", object)).isInstanceOfSatisfying(ClusterException.class,
                            e -> assertThat(e.failure()).isEqualTo(ClusterException.Failure.CONFLICT));
                    assertThat(clusters.delete(target, "meridian", ref)).isTrue();
                    assertThat(cluster.lastRequest().getPath()).isEqualTo(paths.get(i) + "/web");
                    assertThat(clusters.get(target, "meridian", ref)).isEmpty();
                    assertThat(clusters.delete(target, "meridian", ref)).isFalse();
                }
                // A JSON patch of an apps/v1 object, answered with the object as stored.
                clusters.create(target, "meridian", objects.get(0));
                JsonNode patched = clusters.patch(target, "meridian", ObjectRef.of(objects.get(0)),
                        json.readTree("[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]"));
                assertThat(patched.at("/spec/replicas").asInt()).isEqualTo(3);
                assertThat(cluster.lastRequest().getMethod()).isEqualTo("PATCH");
                assertThat(cluster.lastRequest().getHeader("Content-Type")).startsWith("application/json-patch+json");
            } finally {
                clusters.destroy();
            }
        }
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
                    // Single objects travel as plain REST through the context's client: its server, its token.
                    assertThat(cluster.lastRequest().getPath()).isEqualTo("/api/v1/namespaces/meridian/configmaps");
                    assertThat(cluster.lastRequest().getHeader("Authorization")).isEqualTo("Bearer dev-token");
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

    @Test
    void aWatchStartsWithWhatIsThereReconnectsAfterTheApiServerWasDownAndFailsFastWhenItCannotConnect() throws Exception {
        try (MockCluster cluster = MockCluster.started()) {
            Fabric8Clusters clusters = new Fabric8Clusters(new KubernetesProperties(Duration.ofSeconds(1), Duration.ofSeconds(5), false,
                    null, null, false));
            ClusterTarget target = new ClusterTarget(RegionId.of("kc-test-3"), URI.create(cluster.url()), null);
            try {
                clusters.create(target, "meridian", configMap("before", "alpha"));
                JsonNode unmanaged = configMap("not-ours", "alpha");
                ((tools.jackson.databind.node.ObjectNode) unmanaged.at("/metadata/labels")).remove("app.kubernetes.io/managed-by");
                clusters.create(target, "meridian", unmanaged);
                List<Clusters.ObjectEvent> seen = new CopyOnWriteArrayList<>();
                try (Clusters.Watch watch = clusters.watch(target, "meridian", seen::add)) {
                    // what exists comes first, as ADDED, parsed whole; objects Meridian does not manage are not watched
                    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(seen).extracting(e -> e.type() + " " + e.ref())
                            .contains("ADDED ConfigMap/before"));
                    assertThat(seen.get(0).object().at("/data/A").asString()).isEqualTo("1");
                    assertThat(seen.get(0).target()).isEqualTo(target);
                    cluster.stop();
                    cluster.start(); // the same address, an empty store
                    seen.clear();
                    clusters.create(target, "meridian", configMap("after", "beta"));
                    // the reconnected watch (1 s backoff, then 2 s) delivers it, as the current state or as a change
                    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(seen).extracting(e -> e.type() + " " + e.ref())
                            .contains("ADDED ConfigMap/after"));
                    assertThat(watch.isOpen()).as("reconnecting is the watch's own job").isTrue();
                    assertThat(seen).extracting(e -> e.ref().name()).doesNotContain("not-ours");
                }
                cluster.stop();
                assertThatThrownBy(() -> clusters.watch(target, "meridian", e -> { }))
                        .isInstanceOfSatisfying(ClusterException.class, e -> {
                            assertThat(e.failure()).isEqualTo(ClusterException.Failure.UNREACHABLE);
                            assertThat(e.getMessage()).contains("kc-test-3");
                        });
            } finally {
                clusters.destroy();
            }
        }
    }
}
