package io.meridian.region.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.List;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * One region's Kubernetes API in tests: fabric8's mock server in CRUD mode on a fixed loopback port.
 * The mock has no controllers, so the test plays the deployment controller: {@link #rollOut} writes
 * the status a real controller would once the pods are ready. {@link #stop} and {@link #start} on
 * the same port simulate an API that is down and comes back (empty).
 */
public final class MockCluster implements AutoCloseable {

    private final int port;
    private KubernetesMockServer server;
    private KubernetesClient client;

    private MockCluster(int port) {
        this.port = port;
    }

    /** A cluster on a free port, started. */
    public static MockCluster started() {
        MockCluster cluster = new MockCluster(freePort());
        cluster.start();
        return cluster;
    }

    /** A cluster on a free port that is not started yet: its API is down. */
    public static MockCluster down() {
        return new MockCluster(freePort());
    }

    public synchronized MockCluster start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        try {
            server.init(InetAddress.getByName("127.0.0.1"), port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        client = server.createClient();
        return this;
    }

    public synchronized void stop() {
        if (client != null) {
            client.close();
            client = null;
        }
        if (server != null) {
            server.destroy();
            server = null;
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The last request the API server received (method, path, headers, body). */
    public synchronized io.fabric8.mockwebserver.http.RecordedRequest lastRequest() throws InterruptedException {
        return server.getLastRequest();
    }

    public KubernetesClient client() {
        return client;
    }

    /** The Deployment, or null. */
    public Deployment deployment(String namespace, String name) {
        return client.apps().deployments().inNamespace(namespace).withName(name).get();
    }

    /** Plays the deployment controller: every replica of the newest generation updated, ready and available. */
    public void rollOut(String namespace, String name, int replicas) {
        Deployment live = deployment(namespace, name);
        List<DeploymentCondition> conditions = List.of(
                new DeploymentConditionBuilder().withType("Available").withStatus("True").withReason("MinimumReplicasAvailable").build(),
                new DeploymentConditionBuilder().withType("Progressing").withStatus("True").withReason("NewReplicaSetAvailable").build());
        client.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder(live).withNewStatus()
                .withObservedGeneration(live.getMetadata().getGeneration()).withReplicas(replicas).withUpdatedReplicas(replicas)
                .withReadyReplicas(replicas).withAvailableReplicas(replicas).withConditions(conditions).endStatus().build()).updateStatus();
    }

    /** Plays a deployment controller that gave up: Progressing=False, ProgressDeadlineExceeded. */
    public void exceedProgressDeadline(String namespace, String name) {
        Deployment live = deployment(namespace, name);
        client.apps().deployments().inNamespace(namespace).resource(new DeploymentBuilder(live).withNewStatus()
                .withObservedGeneration(live.getMetadata().getGeneration()).withReplicas(2).withUpdatedReplicas(1).withReadyReplicas(1)
                .withConditions(new DeploymentConditionBuilder().withType("Progressing").withStatus("False")
                        .withReason("ProgressDeadlineExceeded").withMessage("ReplicaSet web-7d9 has timed out progressing").build())
                .endStatus().build()).updateStatus();
    }

    @Override
    public void close() {
        stop();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
