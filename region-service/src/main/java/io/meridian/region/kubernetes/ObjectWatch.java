package io.meridian.region.kubernetes;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.WebSocket;
import io.fabric8.kubernetes.client.http.WebSocketHandshakeException;
import io.meridian.region.config.ManifestKind;
import io.meridian.region.config.ObjectRef;
import io.meridian.region.config.Renderer;
import io.meridian.region.deployment.ClusterException;
import io.meridian.region.deployment.ClusterTarget;
import io.meridian.region.deployment.Clusters;
import io.vertx.core.Vertx;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One {@link Clusters.Watch} on a region: a watch per managed kind, each a WebSocket to the API server's own watch
 * endpoint opened through the region client's fabric8 HTTP client (its authentication, TLS and interceptors). Events
 * are parsed once, straight into the Jackson tree the drift watcher reads.
 *
 * <p>Why not fabric8's typed {@code watch()}: it turned every event into fabric8's model, the model back into JSON text
 * and the text into a tree again, which was three quarters of the drift path's CPU with 200 regions deploying
 * (docs/benchmarks.md). The protocol part written here is small and is the API server's documented one:
 * <ul>
 *   <li>The first connection has no {@code resourceVersion}, so the server starts with an ADDED event for every object
 *       there is and then streams changes ("get state and start at most recent"): no separate list, no gap between a
 *       list and its watch.</li>
 *   <li>A dropped connection is reopened from the last resourceVersion seen (events and bookmarks), with exponential
 *       backoff from 1 s to 32 s, as fabric8's watch manager does. A {@code 410 Gone} (the version is too old) reopens
 *       without one: the objects come again as ADDED, which the drift watcher screens like any other event.</li>
 *   <li>{@link #isOpen()} stays true until {@link #close()}: reconnecting is this class's job, and the drift watcher's
 *       periodic re-check covers anything a long outage hid.</li>
 * </ul>
 * Callbacks run on the HTTP client's event loop, one event at a time per kind and in order (the next frame is
 * requested only after the listener returned), so the listener must not block.
 */
final class ObjectWatch implements Clusters.Watch {

    private static final Logger log = LoggerFactory.getLogger(ObjectWatch.class);
    private static final long FIRST_BACKOFF_MILLIS = 1_000;
    private static final long MAX_BACKOFF_MILLIS = 32_000;

    private final ClusterTarget target;
    private final HttpClient http;
    private final Vertx timers;
    private final JsonMapper json;
    private final Consumer<Clusters.ObjectEvent> listener;
    private final long connectTimeoutMillis;
    private final List<KindWatch> kinds = new ArrayList<>();
    private volatile boolean open = true;

    /**
     * Opens the watches and waits until each one is connected.
     *
     * @throws ClusterException when any of them cannot connect (all are closed again)
     */
    static ObjectWatch open(ClusterTarget target, HttpClient http, String masterUrl, String namespace, Vertx timers, JsonMapper json,
            long connectTimeoutMillis, Consumer<Clusters.ObjectEvent> listener) {
        ObjectWatch watch = new ObjectWatch(target, http, timers, json, connectTimeoutMillis, listener);
        String base = masterUrl.endsWith("/") ? masterUrl.substring(0, masterUrl.length() - 1) : masterUrl;
        List<CompletableFuture<WebSocket>> connecting = new ArrayList<>();
        for (ManifestKind kind : ManifestKind.values()) {
            KindWatch kindWatch = watch.new KindWatch(kind, base + Fabric8Clusters.collectionPath(namespace, kind));
            watch.kinds.add(kindWatch);
            connecting.add(kindWatch.connect());
        }
        try {
            CompletableFuture.allOf(connecting.toArray(CompletableFuture[]::new)).get(connectTimeoutMillis + 1_000, TimeUnit.MILLISECONDS);
            return watch;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            watch.close();
            throw new ClusterException(ClusterException.Failure.TIMEOUT, "watch in " + target.region() + ": interrupted", e);
        } catch (TimeoutException e) {
            watch.close();
            throw new ClusterException(ClusterException.Failure.TIMEOUT, "watch in " + target.region() + " timed out connecting", e);
        } catch (ExecutionException e) {
            watch.close();
            Throwable cause = e.getCause() instanceof CompletionException c && c.getCause() != null ? c.getCause() : e.getCause();
            int code = cause instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null
                    ? handshake.getResponse().code() : 0;
            throw Fabric8Clusters.failure("watch the managed objects in " + target.region(), code, null, cause);
        }
    }

    private ObjectWatch(ClusterTarget target, HttpClient http, Vertx timers, JsonMapper json, long connectTimeoutMillis,
            Consumer<Clusters.ObjectEvent> listener) {
        this.target = target;
        this.http = http;
        this.timers = timers;
        this.json = json;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.listener = listener;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
        kinds.forEach(KindWatch::close);
    }

    /** The watch of one kind: its socket, the last resourceVersion it saw, its reconnect backoff. */
    private final class KindWatch implements WebSocket.Listener {

        private final ManifestKind kind;
        private final String collection;
        private volatile @Nullable String resourceVersion;
        private volatile @Nullable WebSocket socket;
        private int failures;
        /** A reconnect is scheduled (a drop can be reported both as an error and as a close). */
        private final AtomicBoolean reconnecting = new AtomicBoolean();

        KindWatch(ManifestKind kind, String collection) {
            this.kind = kind;
            this.collection = collection;
        }

        CompletableFuture<WebSocket> connect() {
            StringBuilder uri = new StringBuilder(collection).append("?labelSelector=")
                    .append(URLEncoder.encode(Renderer.MANAGED_BY + "=meridian", StandardCharsets.UTF_8))
                    .append("&watch=true&allowWatchBookmarks=true");
            String version = resourceVersion;
            if (version != null) {
                uri.append("&resourceVersion=").append(URLEncoder.encode(version, StandardCharsets.UTF_8));
            }
            CompletableFuture<WebSocket> connected = http.newWebSocketBuilder().uri(URI.create(uri.toString()))
                    .connectTimeout(connectTimeoutMillis, TimeUnit.MILLISECONDS).buildAsync(this);
            connected.whenComplete((ws, error) -> {
                if (error != null) {
                    Throwable cause = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
                    if (cause instanceof WebSocketHandshakeException handshake && handshake.getResponse() != null
                            && handshake.getResponse().code() == 410) {
                        resourceVersion = null;
                    }
                    log.debug("watch of {} in {} could not connect: {}", kind.kind(), target.region(), cause.toString());
                    reconnectLater();
                }
            });
            return connected;
        }

        @Override
        public void onOpen(WebSocket webSocket) {
            socket = webSocket;
            failures = 0;
            if (!open) {
                webSocket.sendClose(1000, "closed");
            }
        }

        @Override
        public void onMessage(WebSocket webSocket, String text) {
            try {
                event(text);
            } finally {
                webSocket.request();
            }
        }

        @Override
        public void onMessage(WebSocket webSocket, ByteBuffer bytes) {
            try {
                event(StandardCharsets.UTF_8.decode(bytes).toString());
            } finally {
                webSocket.request();
            }
        }

        private void event(String text) {
            if (!open) {
                return;
            }
            JsonNode event;
            try {
                event = json.readTree(text);
            } catch (JacksonException e) {
                log.warn("watch of {} in {} sent something that is not JSON; reconnecting", kind.kind(), target.region());
                dropSocket();
                return;
            }
            JsonNode object = event.path("object");
            String type = event.path("type").asString("");
            String version = object.path("metadata").path("resourceVersion").asString(null);
            switch (type) {
                case "ADDED", "MODIFIED", "DELETED" -> {
                    if (version != null) {
                        resourceVersion = version;
                    }
                    String name = object.path("metadata").path("name").asString(null);
                    if (name != null) {
                        listener.accept(new Clusters.ObjectEvent(target, Clusters.ObjectEvent.Type.valueOf(type), new ObjectRef(kind, name),
                                object));
                    }
                }
                case "BOOKMARK" -> {
                    if (version != null) {
                        resourceVersion = version;
                    }
                }
                case "ERROR" -> {
                    int code = object.path("code").asInt(0);
                    log.info("watch of {} in {} ended by the API server: {} {}", kind.kind(), target.region(), code,
                            object.path("message").asString(""));
                    if (code == 410) {
                        resourceVersion = null; // too old: start again from the current state
                    }
                    dropSocket();
                }
                default -> log.debug("watch of {} in {}: ignoring event type '{}'", kind.kind(), target.region(), type);
            }
        }

        @Override
        public void onClose(WebSocket webSocket, int code, String reason) {
            if (socket == webSocket) {
                socket = null;
            }
            if (open) {
                log.info("watch of {} in {} closed ({} {}); reconnecting", kind.kind(), target.region(), code, reason);
                reconnectLater();
            }
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            if (socket == webSocket) {
                socket = null;
            }
            if (open) {
                log.info("watch of {} in {} failed ({}); reconnecting", kind.kind(), target.region(), error.toString());
                reconnectLater();
            }
        }

        private void dropSocket() {
            WebSocket current = socket;
            if (current != null) {
                current.sendClose(1000, "reconnecting"); // onClose reconnects
            }
        }

        private void reconnectLater() {
            if (!open || !reconnecting.compareAndSet(false, true)) {
                return;
            }
            long delay = Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(failures, 5));
            failures++;
            timers.setTimer(delay, id -> {
                reconnecting.set(false);
                if (open && socket == null) {
                    connect();
                }
            });
        }

        void close() {
            WebSocket current = socket;
            socket = null;
            if (current != null) {
                current.sendClose(1000, "closed");
            }
        }
    }
}
