package io.meridian.stack.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.NamedAuthInfoBuilder;
import io.fabric8.kubernetes.api.model.NamedClusterBuilder;
import io.fabric8.kubernetes.api.model.NamedContextBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * One simulated Kubernetes API per region: fabric8's {@link KubernetesMockServer} in CRUD mode (it
 * stores what clients create, answers reads, patches, scale and watches) on {@code 127.0.0.1},
 * with a namespace created in each. This is the only simulated part of the local stack: no real
 * kube-apiserver can run here. Its state lives in memory and is gone when the launcher stops.
 */
public final class KubernetesApis implements AutoCloseable {

    /** The user name written to the kubeconfig (the mock does not check credentials). */
    static final String USER = "meridian-local";

    private static final Logger LOG = LoggerFactory.getLogger(KubernetesApis.class);
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private final Map<String, KubernetesMockServer> servers;
    private final Map<String, URI> urls;
    private final String namespace;

    private KubernetesApis(Map<String, KubernetesMockServer> servers, Map<String, URI> urls, String namespace) {
        this.servers = servers;
        this.urls = urls;
        this.namespace = namespace;
    }

    /**
     * Starts one API server per context on its port and creates {@code namespace} in each.
     *
     * @param portsByContext context name (the region id) to port, in kubeconfig order
     * @throws IllegalStateException if a server does not start; the ones already started are stopped
     */
    public static KubernetesApis start(Map<String, Integer> portsByContext, String namespace) {
        Map<String, KubernetesMockServer> servers = new LinkedHashMap<>();
        Map<String, URI> urls = new LinkedHashMap<>();
        KubernetesApis apis = new KubernetesApis(servers, urls, namespace);
        try {
            InetAddress loopback = InetAddress.getByName("127.0.0.1");
            for (Map.Entry<String, Integer> entry : portsByContext.entrySet()) {
                KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                        new KubernetesCrudDispatcher(), false);
                server.init(loopback, entry.getValue());
                servers.put(entry.getKey(), server);
                urls.put(entry.getKey(), URI.create("http://127.0.0.1:" + entry.getValue()));
                createNamespace(urls.get(entry.getKey()), entry.getKey(), namespace);
                LOG.info("Kubernetes API (fabric8 mock, CRUD mode) for {} on {}", entry.getKey(), urls.get(entry.getKey()));
            }
            return apis;
        } catch (IOException | RuntimeException e) {
            apis.close();
            throw new IllegalStateException("cannot start the simulated Kubernetes APIs: " + e.getMessage(), e);
        }
    }

    /**
     * Creates the namespace with a plain {@code POST /api/v1/namespaces}: a fabric8 client per API
     * would start a Vert.x instance each just for this one request.
     */
    private static void createNamespace(URI api, String region, String namespace) {
        io.fabric8.kubernetes.api.model.Namespace body = new NamespaceBuilder().withApiVersion("v1").withKind("Namespace")
                .withNewMetadata().withName(namespace).addToLabels("meridian.dev/region", region).endMetadata().build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(api.resolve("/api/v1/namespaces"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(SERIALIZATION.asJson(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 201 && response.statusCode() != 409) {
                throw new IllegalStateException("creating namespace " + namespace + " on " + api + " answered HTTP "
                        + response.statusCode() + ": " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create namespace " + namespace + " on " + api, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating namespace " + namespace, e);
        }
    }

    /** The API URL of context {@code context}. */
    public URI url(String context) {
        URI url = urls.get(context);
        if (url == null) {
            throw new IllegalArgumentException("no Kubernetes API for context " + context);
        }
        return url;
    }

    /** The namespace created in each API. */
    public String namespace() {
        return namespace;
    }

    /**
     * Writes a kubeconfig with one cluster, one context (namespace {@link #namespace()}) per API and a
     * shared user; the current context is the first one.
     */
    public void writeKubeconfig(Path file) {
        writeKubeconfig(file, urls, namespace);
    }

    static void writeKubeconfig(Path file, Map<String, URI> urls, String namespace) {
        List<io.fabric8.kubernetes.api.model.NamedCluster> clusters = new ArrayList<>();
        List<io.fabric8.kubernetes.api.model.NamedContext> contexts = new ArrayList<>();
        urls.forEach((context, url) -> {
            clusters.add(new NamedClusterBuilder().withName(context).withNewCluster().withServer(url.toString())
                    .endCluster().build());
            contexts.add(new NamedContextBuilder().withName(context).withNewContext().withCluster(context)
                    .withUser(USER).withNamespace(namespace).endContext().build());
        });
        io.fabric8.kubernetes.api.model.Config config = new io.fabric8.kubernetes.api.model.ConfigBuilder()
                .withApiVersion("v1")
                .withKind("Config")
                .withClusters(clusters)
                .withContexts(contexts)
                .withUsers(new NamedAuthInfoBuilder().withName(USER).withNewUser().withToken("meridian-local-dev")
                        .endUser().build())
                .withCurrentContext(urls.keySet().iterator().next())
                .build();
        String yaml = "# Kubernetes APIs of the Meridian local stack (fabric8 mock servers), one context per region.\n"
                + SERIALIZATION.asYaml(config);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, yaml, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Stops the API server of {@code context}; its contents are lost. */
    public void stop(String context) {
        KubernetesMockServer server = servers.get(context);
        if (server != null) {
            try {
                server.destroy();
            } catch (KubernetesClientException | IllegalStateException e) {
                LOG.warn("the Kubernetes mock server of {} did not stop cleanly: {}", context, e.toString());
            }
        }
    }

    /** Stops every API server; their contents are lost. */
    @Override
    public void close() {
        servers.values().forEach(server -> {
            try {
                server.destroy();
            } catch (KubernetesClientException | IllegalStateException e) {
                LOG.warn("a Kubernetes mock server did not stop cleanly: {}", e.toString());
            }
        });
    }
}
