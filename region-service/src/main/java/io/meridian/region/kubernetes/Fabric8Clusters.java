package io.meridian.region.kubernetes;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.meridian.region.config.ManifestKind;
import io.meridian.region.config.ObjectRef;
import io.meridian.region.config.Renderer;
import io.meridian.region.deployment.ClusterException;
import io.meridian.region.deployment.ClusterTarget;
import io.meridian.region.deployment.Clusters;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link Clusters} on the fabric8 client. Patches are RFC 6902 JSON patches, which every API server
 * (and fabric8's mock server) supports for the built-in kinds; status is never written. Clients are
 * cached per target and share one HTTP client factory (one Vert.x instance) and one serialization (one
 * Jackson mapper, whose per-class introspection 200 regions must not pay 200 times). fabric8's own request
 * retries are off: retrying is the executor's job (resilience4j), so a down region fails fast and
 * says why.
 */
@Component
class Fabric8Clusters implements Clusters, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(Fabric8Clusters.class);
    private static final Map<ManifestKind, Class<? extends HasMetadata>> TYPES = Map.of(
            ManifestKind.CONFIG_MAP, ConfigMap.class,
            ManifestKind.DEPLOYMENT, Deployment.class,
            ManifestKind.SERVICE, Service.class,
            ManifestKind.HORIZONTAL_POD_AUTOSCALER, HorizontalPodAutoscaler.class,
            ManifestKind.POD_DISRUPTION_BUDGET, PodDisruptionBudget.class);

    /** The API server's resource name of each kind, for REST paths. */
    private static final Map<ManifestKind, String> RESOURCES = Map.of(
            ManifestKind.CONFIG_MAP, "configmaps",
            ManifestKind.DEPLOYMENT, "deployments",
            ManifestKind.SERVICE, "services",
            ManifestKind.HORIZONTAL_POD_AUTOSCALER, "horizontalpodautoscalers",
            ManifestKind.POD_DISRUPTION_BUDGET, "poddisruptionbudgets");
    private static final String JSON = "application/json";
    private static final String JSON_PATCH = "application/json-patch+json";
    /** Dependents (a Deployment's ReplicaSets and Pods) go with the object, in the background, as kubectl does. */
    private static final String BACKGROUND_DELETION = "{\"apiVersion\":\"v1\",\"kind\":\"DeleteOptions\",\"propagationPolicy\":\"Background\"}";

    private final KubernetesProperties properties;
    private final Map<ClusterTarget, KubernetesClient> clients = new ConcurrentHashMap<>();
    private final KubernetesSerialization serialization = new KubernetesSerialization();
    /** One Vert.x for every region's client: fabric8's default factory starts one (event loops, checker, pools) per client. */
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setWorkerPoolSize(8).setInternalBlockingPoolSize(8));
    private final HttpClient.Factory httpClients = new VertxHttpClientFactory(vertx);
    /** Runs the fabric8 clients' own background tasks, for every region. */
    private final ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor();
    private final JsonMapper json = JsonMapper.builder().build();

    Fabric8Clusters(KubernetesProperties properties) {
        this.properties = properties;
    }

    @Override
    public Optional<JsonNode> get(ClusterTarget target, String namespace, ObjectRef ref) {
        String what = "read " + ref;
        Answer answer = exchange(target, what, "GET", objectPath(namespace, ref), null, null);
        if (answer.code() == 404) {
            return Optional.empty();
        }
        return Optional.of(answer.tree(what, target));
    }

    @Override
    public void create(ClusterTarget target, String namespace, JsonNode object) {
        ObjectRef ref = ObjectRef.of(object);
        exchange(target, "create " + ref, "POST", collectionPath(namespace, ref.kind()), JSON, json.writeValueAsString(object))
                .expectSuccess("create " + ref, target);
    }

    @Override
    public JsonNode patch(ClusterTarget target, String namespace, ObjectRef ref, JsonNode jsonPatch) {
        String what = "patch " + ref;
        return exchange(target, what, "PATCH", objectPath(namespace, ref), JSON_PATCH, json.writeValueAsString(jsonPatch)).tree(what, target);
    }

    @Override
    public boolean delete(ClusterTarget target, String namespace, ObjectRef ref) {
        String what = "delete " + ref;
        Answer answer = exchange(target, what, "DELETE", objectPath(namespace, ref), JSON, BACKGROUND_DELETION);
        if (answer.code() == 404) {
            return false;
        }
        answer.expectSuccess(what, target);
        return true;
    }

    @Override
    public List<JsonNode> listManaged(ClusterTarget target, String namespace, String service) {
        return call(target, "list the objects of " + service, () -> {
            List<JsonNode> objects = new ArrayList<>();
            for (ManifestKind kind : ManifestKind.values()) {
                client(target).resources(type(kind)).inNamespace(namespace).withLabel(Renderer.MANAGED_BY, "meridian")
                        .withLabel(Renderer.SERVICE_LABEL, service).list().getItems().forEach(item -> objects.add(tree(item)));
            }
            return objects;
        });
    }

    /**
     * A raw watch per kind on the objects Meridian manages ({@link ObjectWatch}): no informer caches, so watching hundreds
     * of regions costs no copy of every object, and each event is parsed once. The objects already there arrive first,
     * as ADDED; a dropped watch reconnects by itself.
     */
    @Override
    public Watch watch(ClusterTarget target, String namespace, Consumer<ObjectEvent> listener) {
        KubernetesClient client = call(target, "watch the managed objects", () -> client(target));
        return ObjectWatch.open(target, client.getHttpClient(), client.getMasterUrl().toString(), namespace, vertx, json,
                properties.connectTimeout().toMillis(), listener);
    }

    /** The client of {@code target}: through its kubeconfig context when preferred and named, else its API URL. */
    KubernetesClient client(ClusterTarget target) {
        return clients.computeIfAbsent(target, t -> {
            Config config;
            if (properties.preferContext() && t.context() != null) {
                config = properties.kubeconfig() != null ? Config.fromKubeconfig(t.context(), kubeconfigFile(properties.kubeconfig()))
                        : Config.autoConfigure(t.context());
                log.info("Kubernetes API of {} through kubeconfig context {} ({})", t.region(), t.context(), config.getMasterUrl());
            } else {
                ConfigBuilder builder = new ConfigBuilder(Config.empty()).withMasterUrl(t.apiUrl().toString())
                        .withTrustCerts(properties.trustCerts());
                if (properties.token() != null) {
                    builder.withOauthToken(properties.token());
                }
                config = builder.build();
            }
            config.setConnectionTimeout((int) properties.connectTimeout().toMillis());
            config.setRequestTimeout((int) properties.requestTimeout().toMillis());
            config.setRequestRetryBackoffLimit(0);
            return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(httpClients).withKubernetesSerialization(serialization)
                    .withTaskExecutor(tasks).build();
        });
    }

    private static File kubeconfigFile(Path path) {
        if (!Files.isReadable(path)) {
            throw new ClusterException(ClusterException.Failure.UNAUTHORIZED, "kubeconfig " + path + " cannot be read");
        }
        return path.toFile();
    }

    private static Class<? extends HasMetadata> type(ManifestKind kind) {
        return TYPES.get(kind);
    }

    // ---- single-object calls as plain REST -------------------------------------------------------
    // Reads and writes of one object go to the API server as the JSON Meridian rendered, through the region
    // client's own fabric8 HTTP client (its authentication, TLS and timeouts), not through fabric8's typed model:
    // the typed path converted every object from a tree to text, into the model, back to text, and the answer
    // the same way back, which was most of region-service's CPU per deployed object (docs/benchmarks.md).

    static String collectionPath(String namespace, ManifestKind kind) {
        String group = kind.apiVersion().indexOf('/') < 0 ? "/api/" : "/apis/";
        return group + kind.apiVersion() + "/namespaces/" + namespace + "/" + RESOURCES.get(kind);
    }

    private static String objectPath(String namespace, ObjectRef ref) {
        return collectionPath(namespace, ref.kind()) + "/" + ref.name();
    }

    /** An API server's answer: status code and body. */
    private record Answer(int code, byte[] body, JsonMapper json) {

        boolean successful() {
            return code >= 200 && code < 300;
        }

        void expectSuccess(String what, ClusterTarget target) {
            if (!successful()) {
                throw failure(what + " in " + target.region(), code, statusMessage(), null);
            }
        }

        JsonNode tree(String what, ClusterTarget target) {
            expectSuccess(what, target);
            try {
                return json.readTree(body);
            } catch (JacksonException e) {
                throw new ClusterException(ClusterException.Failure.SERVER_ERROR, what + " in " + target.region()
                        + ": the API server answered something that is not JSON", e);
            }
        }

        /** The {@code message} of the API server's {@code Status} answer, when it sent one. */
        @Nullable String statusMessage() {
            try {
                JsonNode status = json.readTree(body);
                return status.path("message").isString() ? status.path("message").asString() : null;
            } catch (JacksonException e) {
                return null;
            }
        }
    }

    private Answer exchange(ClusterTarget target, String what, String method, String path, @Nullable String contentType,
            @Nullable String body) {
        String where = what + " in " + target.region() + " (" + (properties.preferContext() && target.context() != null
                ? "context " + target.context() : target.apiUrl()) + ")";
        KubernetesClient client = call(target, what, () -> client(target));
        HttpClient http = client.getHttpClient();
        String base = client.getMasterUrl().toString();
        HttpRequest.Builder request = http.newHttpRequestBuilder()
                .uri(base.endsWith("/") ? base.substring(0, base.length() - 1) + path : base + path)
                .timeout(properties.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .header("Accept", JSON);
        if (body != null) {
            request.method(method, contentType == null ? JSON : contentType, body);
        } else if (!"GET".equals(method)) {
            throw new IllegalArgumentException(method + " needs a body here");
        }
        try {
            HttpResponse<byte[]> response = http.sendAsync(request.build(), byte[].class)
                    .get(properties.connectTimeout().plus(properties.requestTimeout()).toMillis() + 1000, TimeUnit.MILLISECONDS);
            byte[] bytes = response.body();
            return new Answer(response.code(), bytes == null ? new byte[0] : bytes, json);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClusterException(ClusterException.Failure.TIMEOUT, where + ": interrupted", e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ClusterException(ClusterException.Failure.TIMEOUT, where + " timed out after " + properties.requestTimeout(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof KubernetesClientException kce) {
                throw classify(where, kce);
            }
            throw failure(where, 0, null, cause);
        }
    }

    private JsonNode tree(HasMetadata object) {
        return json.readTree(serialization.asJson(object));
    }

    private <T> T call(ClusterTarget target, String what, Supplier<T> call) {
        try {
            return call.get();
        } catch (ClusterException e) {
            throw e;
        } catch (KubernetesClientException e) {
            throw classify(what + " in " + target.region() + " (" + (properties.preferContext() && target.context() != null
                    ? "context " + target.context() : target.apiUrl()) + ")", e);
        } catch (RuntimeException e) {
            throw new ClusterException(ClusterException.Failure.SERVER_ERROR, what + " in " + target.region() + ": " + rootMessage(e), e);
        }
    }

    static ClusterException classify(String where, KubernetesClientException e) {
        return failure(where, e.getCode(), e.getStatus() != null ? e.getStatus().getMessage() : null, e);
    }

    /** A failed call as a {@link ClusterException}: by HTTP status when there was an answer, else by the transport failure. */
    static ClusterException failure(String where, int code, @Nullable String statusMessage, @Nullable Throwable cause) {
        if (code <= 0) {
            Throwable root = cause == null ? null : root(cause);
            String message = cause == null ? "no answer" : rootMessage(cause);
            if (root instanceof SocketTimeoutException || root instanceof TimeoutException
                    || (root != null && root.getClass().getSimpleName().contains("Timeout"))) {
                return new ClusterException(ClusterException.Failure.TIMEOUT, where + " timed out: " + message, cause);
            }
            return new ClusterException(ClusterException.Failure.UNREACHABLE, where + ": " + message, cause);
        }
        String status = "HTTP " + code + (statusMessage != null ? " " + statusMessage : "");
        ClusterException.Failure failure = switch (code) {
            case 408, 504 -> ClusterException.Failure.TIMEOUT;
            case 409 -> ClusterException.Failure.CONFLICT;
            case 401, 403 -> ClusterException.Failure.UNAUTHORIZED;
            case 429 -> ClusterException.Failure.SERVER_ERROR;
            default -> code >= 500 ? ClusterException.Failure.SERVER_ERROR : ClusterException.Failure.REJECTED;
        };
        return new ClusterException(failure, where + ": " + status, cause);
    }

    private static Throwable root(Throwable e) {
        Throwable current = e;
        while (current.getCause() != null && current.getCause() != current) {
            current = current.getCause();
        }
        return current;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = root(e);
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
    }

    @Override
    public void destroy() {
        clients.values().forEach(KubernetesClient::close);
        clients.clear();
        tasks.shutdownNow();
        vertx.close();
    }

    @Override
    public String toString() {
        return "fabric8 clusters (" + clients.size() + " clients)";
    }
}
