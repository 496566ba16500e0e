package io.meridian.benchmarks.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.sun.net.httpserver.HttpServer;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.routing.RuleType;
import io.meridian.stack.Waits;
import tools.jackson.databind.json.JsonMapper;

/**
 * Gateway benchmarks (issue 5), driven by environment variables:
 * <ul>
 *   <li>{@code BENCH_MODE=table}: writes a last-known-good routing table file
 *       ({@code BENCH_STATE_DIR/routing-tables.json}) for service {@code BENCH_SERVICE} with an equal weighted split
 *       over {@code BENCH_REGIONS} (comma-separated region ids), so that a gateway started with that state directory
 *       and no Kafka routes at once.</li>
 *   <li>{@code BENCH_MODE=kill}: a region killed under load. Starts one HTTP upstream per region of
 *       {@code BENCH_UPSTREAMS} ({@code region=port,...}), sends {@code BENCH_RATE} GET requests per second from {@code BENCH_WORKERS} paced workers (each its own keep-alive connection, like hey -q) to
 *       {@code BENCH_GATEWAY} (the gateway's default service) for {@code BENCH_ROUNDS} rounds; in each round the first
 *       region's upstream is killed (listener and connections closed) after {@code BENCH_STEADY} seconds and started
 *       again {@code BENCH_DOWN} seconds later. Reports, per round, the time from the kill to the last request the
 *       gateway still sent to the dead region (the last increase of its {@code meridian_gateway_retries_total}
 *       counter, polled every 5 ms, before the first quiet second), and the failed requests (non-200 or no answer).</li>
 * </ul>
 */
public final class GatewayBench {

    private GatewayBench() {
    }

    public static void main(String[] args) throws Exception {
        String mode = env("BENCH_MODE", "kill");
        switch (mode) {
            case "table" -> table();
            case "kill" -> kill();
            default -> throw new IllegalArgumentException("BENCH_MODE must be table or kill");
        }
    }

    static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    // ---- table -----------------------------------------------------------------------------------------------------

    static void table() throws IOException {
        Path dir = Path.of(env("BENCH_STATE_DIR", "/tmp/meridian-gateway-bench"));
        String service = env("BENCH_SERVICE", "anchor");
        List<String> regions = List.of(env("BENCH_REGIONS", "us-bench-1").split(","));
        List<RoutingTable.RegionEntry> entries = new ArrayList<>();
        Map<String, Integer> weights = new LinkedHashMap<>();
        for (int i = 0; i < regions.size(); i++) {
            entries.add(new RoutingTable.RegionEntry(RegionId.of(regions.get(i)), ResidencyZone.US, 39.0, -77.5 + i, RegionStatus.ACTIVE,
                    false, 1.0, List.of("127.0.0.1")));
            weights.put(regions.get(i), 1000 / regions.size() + (i == 0 ? 1000 % regions.size() : 0));
        }
        RoutingTable.Rule split = new RoutingTable.Rule(RuleType.WEIGHTED, 0.5, null, Map.of(), Map.of(), weights, 0);
        RoutingTable table = new RoutingTable(service, System.currentTimeMillis(), Instant.now(), 1, Set.of(), entries, List.of(split),
                List.of(), Map.of(), Map.of(), Map.of(), 0.5);
        Files.createDirectories(dir);
        Path file = dir.resolve("routing-tables.json");
        Files.write(file, JsonMapper.builder().findAndAddModules().build().writeValueAsBytes(Map.of("format", 1, "tables", List.of(table))));
        System.out.println("wrote " + file + ": " + service + " split " + weights);
    }

    // ---- region killed under load ----------------------------------------------------------------------------------

    static final class Upstream {
        final String region;
        final int port;
        volatile HttpServer server;
        final ExecutorService executor = Executors.newFixedThreadPool(8);

        Upstream(String region, int port) {
            this.region = region;
            this.port = port;
        }

        void start() throws IOException {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 1024);
            s.setExecutor(executor);
            byte[] body = region.getBytes(StandardCharsets.UTF_8);
            s.createContext("/", exchange -> {
                exchange.getRequestBody().readAllBytes();
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            s.start();
            server = s;
        }

        void kill() {
            server.stop(0);
        }
    }

    static void kill() throws Exception {
        String gateway = env("BENCH_GATEWAY", "http://127.0.0.1:59100");
        int rate = Integer.parseInt(env("BENCH_RATE", "2000"));
        int rounds = Integer.parseInt(env("BENCH_ROUNDS", "5"));
        double steady = Double.parseDouble(env("BENCH_STEADY", "4"));
        double down = Double.parseDouble(env("BENCH_DOWN", "6"));
        double recover = Double.parseDouble(env("BENCH_RECOVER", "8"));
        List<Upstream> upstreams = new ArrayList<>();
        for (String pair : env("BENCH_UPSTREAMS", "us-bench-1=59011,us-bench-2=59012").split(",")) {
            String[] parts = pair.split("=");
            Upstream upstream = new Upstream(parts[0], Integer.parseInt(parts[1]));
            upstream.start();
            upstreams.add(upstream);
        }
        Upstream victim = upstreams.get(0);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        URI target = URI.create(gateway);
        URI metrics = URI.create(gateway.replaceAll("/+$", "") + "/actuator/prometheus");
        HttpRequest request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET().build();
        // warm-up and check
        HttpResponse<String> first = client.send(request, HttpResponse.BodyHandlers.ofString());
        System.out.printf("gateway %s answered %d from %s%n", gateway, first.statusCode(), first.headers().firstValue("X-Meridian-Region").orElse("?"));
        long warmupEnd = System.nanoTime() + Duration.ofSeconds(Integer.parseInt(env("BENCH_WARMUP", "10"))).toNanos();
        List<Thread> warming = new ArrayList<>();
        for (int w = 0; w < (rate == 0 ? 0 : 8); w++) {
            warming.add(Thread.ofPlatform().start(() -> {
                HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                while (System.nanoTime() < warmupEnd) {
                    try {
                        own.send(request, HttpResponse.BodyHandlers.discarding());
                    } catch (Exception e) {
                        // warm-up only
                    }
                }
            }));
        }
        for (Thread thread : warming) {
            thread.join();
        }
        if (rate == 0) {
            System.out.println("upstreams up; start the load generator now; rounds begin in " + env("BENCH_WARMUP", "10") + " s");
            Waits.pause(Duration.ofNanos(Math.max(0, warmupEnd - System.nanoTime()))); // until the warm-up ends (parks until due)
        }

        AtomicLong sent = new AtomicLong();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        Map<String, AtomicLong> byRegion = new ConcurrentHashMap<>();
        List<long[]> retrySamples = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean running = new AtomicBoolean(true);
        Thread poller = Thread.ofPlatform().name("retries-poller").start(() -> {
            HttpRequest scrape = HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(2)).GET().build();
            while (running.get()) {
                try {
                    long before = System.nanoTime();
                    String text = client.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
                    retrySamples.add(new long[] {before, retries(text)});
                } catch (Exception e) {
                    // keep polling
                }
                LockSupport.parkNanos(5_000_000);
            }
        });
        int workers = Integer.parseInt(env("BENCH_WORKERS", "20"));
        long intervalNanos = rate == 0 ? 0 : 1_000_000_000L * workers / rate;
        long start = System.nanoTime();
        List<long[]> kills = java.util.Collections.synchronizedList(new ArrayList<>());
        double roundSeconds = steady + down + recover;
        long end = start + (long) (rounds * roundSeconds * 1e9);
        // workers: each its own keep-alive connection, paced like hey -q (closed loop per worker)
        List<Thread> threads = new ArrayList<>();
        // BENCH_RATE=0: no load from here (an external load generator such as hey sends it); kills and polling only
        for (int w = 0; w < (rate == 0 ? 0 : workers); w++) {
            HttpClient own = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
            long offset = intervalNanos * w / workers;
            threads.add(Thread.ofPlatform().name("load-" + w).start(() -> {
                long next = start + offset;
                while (next < end) {
                    long now = System.nanoTime();
                    if (now < next) {
                        LockSupport.parkNanos(next - now);
                        continue;
                    }
                    sent.incrementAndGet();
                    try {
                        HttpResponse<Void> response = own.send(request, HttpResponse.BodyHandlers.discarding());
                        if (response.statusCode() == 200) {
                            ok.incrementAndGet();
                            byRegion.computeIfAbsent(response.headers().firstValue("X-Meridian-Region").orElse("?"), r -> new AtomicLong())
                                    .incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            if (failed.get() <= 5) {
                                System.out.println("failed: HTTP " + response.statusCode());
                            }
                        }
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        if (failed.get() <= 5) {
                            System.out.println("failed: " + e);
                        }
                    }
                    next += intervalNanos;
                    if (System.nanoTime() > next + intervalNanos * 10) {
                        next = System.nanoTime(); // fell far behind: do not burst to catch up
                    }
                }
            }));
        }
        int round = 0;
        while (System.nanoTime() < end) {
            double inRound = (System.nanoTime() - start) / 1e9 - round * roundSeconds;
            if (inRound >= roundSeconds) {
                round++;
                continue;
            }
            if (inRound >= steady && inRound < steady + down && (kills.isEmpty() || kills.size() == round)) {
                // the kill starts now: HttpServer.stop can take milliseconds to return, and a gateway that notices the
                // dead region within them must not have its reaction counted before the kill (it did: a "5 s cut-off" that
                // was the half-open trial after a circuit opened while stop() was still returning)
                long killing = System.nanoTime();
                victim.kill();
                kills.add(new long[] {killing, 0});
            } else if (inRound >= steady + down && kills.size() == round + 1 && kills.get(round)[1] == 0) {
                victim.start();
                kills.get(round)[1] = System.nanoTime();
            }
            LockSupport.parkNanos(1_000_000);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long sendingTook = System.nanoTime() - start;
        running.set(false);
        poller.join();
        System.out.printf("sent %d GETs in %.1f s (%.0f req/s achieved, %d asked; %d workers); 200: %d; failed: %d; by region %s%n", sent.get(),
                sendingTook / 1e9, sent.get() / (sendingTook / 1e9), rate, rate == 0 ? 0 : workers, ok.get(), failed.get(), byRegion);
        List<Double> cutoffs = new ArrayList<>();
        for (int i = 0; i < kills.size(); i++) {
            long killedAt = kills.get(i)[0];
            long restartedAt = kills.get(i)[1] == 0 ? Long.MAX_VALUE : kills.get(i)[1];
            long baseline = -1;
            long lastIncrease = -1;
            long previous = -1;
            long quietSince = -1;
            for (long[] sample : retrySamples) {
                if (sample[0] < killedAt) {
                    baseline = sample[1];
                    previous = sample[1];
                    continue;
                }
                if (sample[0] > restartedAt) {
                    break;
                }
                if (sample[1] > previous) {
                    lastIncrease = sample[0];
                    previous = sample[1];
                    quietSince = -1;
                } else if (lastIncrease > 0) {
                    if (quietSince < 0) {
                        quietSince = sample[0];
                    }
                    if (sample[0] - quietSince >= 1_000_000_000L) {
                        break;
                    }
                }
            }
            double cutoffMs = lastIncrease < 0 ? 0 : (lastIncrease - killedAt) / 1e6;
            cutoffs.add(cutoffMs);
            System.out.printf("round %d: kill -> last request sent to %s: %.0f ms (retries %d -> %d)%n", i + 1, victim.region, cutoffMs,
                    baseline, previous);
        }
        cutoffs.sort(Double::compare);
        System.out.printf("cut-off over %d kills: min %.0f ms, median %.0f ms, max %.0f ms; failed idempotent requests: %d%n", cutoffs.size(),
                cutoffs.getFirst(), cutoffs.get(cutoffs.size() / 2), cutoffs.getLast(), failed.get());
        // keep the upstreams up a while, so that an external load generator still running gets answers, not refusals
        Waits.pause(Duration.ofSeconds(Integer.parseInt(env("BENCH_TAIL", "10")))); // the measured tail after the kill
        for (Upstream upstream : upstreams) {
            upstream.server.stop(0);
            upstream.executor.shutdownNow();
        }
        System.exit(0);
    }

    static long retries(String prometheus) {
        for (String line : prometheus.split("\n")) {
            if (line.startsWith("meridian_gateway_retries_total")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }
}
