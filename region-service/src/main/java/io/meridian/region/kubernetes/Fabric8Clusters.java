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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

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
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
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

    private final KubernetesProperties properties;
    private final Map<ClusterTarget, KubernetesClient> clients = new ConcurrentHashMap<>();
    private final KubernetesSerialization serialization = new KubernetesSerialization();
    /** One Vert.x for every region's client: fabric8's default factory starts one (event loops, checker, pools) per client. */
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setWorkerPoolSize(8).setInternalBlockingPoolSize(8));
    private final HttpClient.Factory httpClients = new VertxHttpClientFactory(vertx);
    /** Runs watch callbacks and other client tasks of every region (fabric8 keeps them ordered per watch). */
    private final ExecutorService tasks = Executors.newVirtualThreadPerTaskExecutor();
    private final JsonMapper json = JsonMapper.builder().build();

    Fabric8Clusters(KubernetesProperties properties) {
        this.properties = properties;
    }

    @Override
    public Optional<JsonNode> get(ClusterTarget target, String namespace, ObjectRef ref) {
        return call(target, "read " + ref, () -> Optional.ofNullable(client(target).resources(type(ref.kind())).inNamespace(namespace)
                .withName(ref.name()).get()).map(this::tree));
    }

    @Override
    public JsonNode create(ClusterTarget target, String namespace, JsonNode object) {
        ManifestKind kind = ObjectRef.of(object).kind();
        HasMetadata typed = serialization.unmarshal(json.writeValueAsString(object), type(kind));
        return call(target, "create " + ObjectRef.of(object), () -> tree(client(target).resource(typed).inNamespace(namespace).create()));
    }

    @Override
    public JsonNode patch(ClusterTarget target, String namespace, ObjectRef ref, JsonNode jsonPatch) {
        String patch = json.writeValueAsString(jsonPatch);
        return call(target, "patch " + ref, () -> tree(client(target).resources(type(ref.kind())).inNamespace(namespace).withName(ref.name())
                .patch(PatchContext.of(PatchType.JSON), patch)));
    }

    @Override
    public boolean delete(ClusterTarget target, String namespace, ObjectRef ref) {
        return call(target, "delete " + ref, () -> !client(target).resources(type(ref.kind())).inNamespace(namespace).withName(ref.name())
                .delete().isEmpty());
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
     * Plain watches, one per kind, on the objects Meridian manages; no informer caches, so watching
     * hundreds of regions costs no copy of every object. A new watch starts at "now", so the objects
     * already there are listed once and passed on as ADDED. fabric8 reconnects a dropped watch by
     * itself; a watch it gives up on (for example 410 Gone) closes the whole {@link Watch}, which the
     * caller sees in {@link Watch#isOpen()} and replaces.
     */
    @Override
    public Watch watch(ClusterTarget target, String namespace, Consumer<ObjectEvent> listener) {
        AtomicBoolean open = new AtomicBoolean(true);
        List<io.fabric8.kubernetes.client.Watch> watches = new ArrayList<>();
        Watch handle = new Watch() {
            @Override
            public void close() {
                open.set(false);
                watches.forEach(watch -> {
                    try {
                        watch.close();
                    } catch (RuntimeException e) {
                        log.debug("closing a watch of {} failed: {}", target.region(), e.getMessage());
                    }
                });
            }

            @Override
            public boolean isOpen() {
                return open.get();
            }
        };
        try {
            call(target, "watch the managed objects", () -> {
                for (ManifestKind kind : ManifestKind.values()) {
                    watches.add(watchKind(target, namespace, kind, listener, open));
                }
                for (ManifestKind kind : ManifestKind.values()) {
                    client(target).resources(type(kind)).inNamespace(namespace).withLabel(Renderer.MANAGED_BY, "meridian").list().getItems()
                            .forEach(item -> listener.accept(new ObjectEvent(target, ObjectEvent.Type.ADDED,
                                    new ObjectRef(kind, item.getMetadata().getName()), tree(item))));
                }
                return null;
            });
            return handle;
        } catch (ClusterException e) {
            handle.close();
            throw e;
        }
    }

    private <T extends HasMetadata> io.fabric8.kubernetes.client.Watch watchKind(ClusterTarget target, String namespace, ManifestKind kind,
            Consumer<ObjectEvent> listener, AtomicBoolean open) {
        @SuppressWarnings("unchecked")
        Class<T> type = (Class<T>) type(kind);
        return client(target).resources(type).inNamespace(namespace).withLabel(Renderer.MANAGED_BY, "meridian").watch(new Watcher<T>() {
            @Override
            public void eventReceived(Action action, T object) {
                ObjectEvent.Type eventType = switch (action) {
                    case ADDED -> ObjectEvent.Type.ADDED;
                    case MODIFIED -> ObjectEvent.Type.MODIFIED;
                    case DELETED -> ObjectEvent.Type.DELETED;
                    default -> null;
                };
                if (eventType != null && object != null && object.getMetadata() != null) {
                    listener.accept(new ObjectEvent(target, eventType, new ObjectRef(kind, object.getMetadata().getName()), tree(object)));
                }
            }

            @Override
            public void onClose(WatcherException cause) {
                log.info("Watch of {} in {} closed: {}", kind.kind(), target.region(), cause.getMessage());
                open.set(false);
            }
        });
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
            config.setWatchReconnectInterval(1000);
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
        int code = e.getCode();
        Throwable root = root(e);
        if (code <= 0) {
            if (root instanceof SocketTimeoutException || root instanceof TimeoutException
                    || root.getClass().getSimpleName().contains("Timeout")) {
                return new ClusterException(ClusterException.Failure.TIMEOUT, where + " timed out: " + rootMessage(e), e);
            }
            if (root instanceof ConnectException || root instanceof UnknownHostException || root instanceof IOException) {
                return new ClusterException(ClusterException.Failure.UNREACHABLE, where + ": " + rootMessage(e), e);
            }
            return new ClusterException(ClusterException.Failure.UNREACHABLE, where + ": " + rootMessage(e), e);
        }
        String status = "HTTP " + code + (e.getStatus() != null && e.getStatus().getMessage() != null ? " " + e.getStatus().getMessage() : "");
        ClusterException.Failure failure = switch (code) {
            case 408, 504 -> ClusterException.Failure.TIMEOUT;
            case 409 -> ClusterException.Failure.CONFLICT;
            case 401, 403 -> ClusterException.Failure.UNAUTHORIZED;
            case 429 -> ClusterException.Failure.SERVER_ERROR;
            default -> code >= 500 ? ClusterException.Failure.SERVER_ERROR : ClusterException.Failure.REJECTED;
        };
        return new ClusterException(failure, where + ": " + status, e);
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
