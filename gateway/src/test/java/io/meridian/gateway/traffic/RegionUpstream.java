package io.meridian.gateway.traffic;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpServer;

import io.meridian.stack.Ports;

/**
 * A real HTTP upstream standing in for one region's app: answers with its region name, counts what it
 * served, can be told to fail with 503, and can be killed (listener and connections closed) and
 * started again on the same port.
 */
final class RegionUpstream implements AutoCloseable {

    /** What one request carried. */
    record Seen(String method, String path, String forwardedFor, String decision, String body, String forwarded) {
    }

    final String region;
    final int port;
    final AtomicInteger hits = new AtomicInteger();
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    volatile int status = 200;
    private volatile HttpServer server;

    RegionUpstream(String region) {
        this.region = region;
        this.port = Ports.freePort();
        start();
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
            s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            s.createContext("/", exchange -> {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                hits.incrementAndGet();
                seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                        String.valueOf(exchange.getRequestHeaders().getFirst("X-Forwarded-For")),
                        String.valueOf(exchange.getRequestHeaders().getFirst("X-Meridian-Decision")), body,
                        String.valueOf(exchange.getRequestHeaders().getFirst("Forwarded"))));
                byte[] answer = region.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "text/plain");
                exchange.getResponseHeaders().add("X-Upstream", region);
                exchange.sendResponseHeaders(status, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
            });
            s.start();
            server = s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the listener and every open connection, as a crashed process would. */
    synchronized void kill() {
        if (server != null) {
            server.stop(0);
            server = null;
        }
    }

    @Override
    public void close() {
        kill();
    }
}
