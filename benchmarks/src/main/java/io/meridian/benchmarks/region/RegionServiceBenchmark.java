package io.meridian.benchmarks.region;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meridian.benchmarks.ControlApi;
import io.meridian.common.jvm.NettyUnsafe;
import io.meridian.stack.Ports;
import io.meridian.stack.Waits;
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.stack.postgres.PostgresCluster;
import io.vertx.core.Vertx;

/**
 * Load driver for region-service (issue 3): N regions x M services placed, rendered and applied
 * against one fabric8 mock Kubernetes API per region, then the registry API under an open-loop
 * load. It starts a real PostgreSQL and Kafka (stack-components), the mock APIs and a deployment
 * "controller" that marks each Deployment rolled out (the mocks have none) in this JVM, and
 * region-service as its own JVM with a capped heap, whose heap it samples from
 * {@code /actuator/prometheus}.
 *
 * <p>Run from the repository root (see docs/benchmarks.md):
 * {@code ./mvnw -B -q -pl benchmarks -am process-classes -Dbench}. Environment variables change the
 * shape: {@code BENCH_REGIONS} (200), {@code BENCH_SERVICES} (20), {@code BENCH_RATE} (200 requests/s),
 * {@code BENCH_SECONDS} (30), {@code BENCH_HEAP} (512m), {@code BENCH_PARALLELISM} (32 executor threads),
 * {@code BENCH_WARMUP} (30 s of registry load before measuring), {@code BENCH_DEPLOY_WARMUP} (10 other services
 * deployed to every region before the measured deployments, reported as the cold figure; 0 measures a cold service), {@code BENCH_GC} (region-service's collector flag, {@code -XX:+UseG1GC}); {@code BENCH_SERVICES=0}
 * measures the registry alone.
 */
public final class RegionServiceBenchmark {

    private static final String NAMESPACE = "meridian";
    /** The warm-up's services are named this and a number; the measured ones {@code svc-N}. */
    private static final String WARMUP = "warmup-";
    /** A G1 pause line of {@code -Xlog:gc}: {@code ... 233M->80M(257M) 12.3ms}. */
    private static final Pattern GC_LINE = Pattern.compile("Pause.* ([0-9]+)M->([0-9]+)M\\(([0-9]+)M\\)");

    private final int regions = env("BENCH_REGIONS", 200);
    private final int services = env("BENCH_SERVICES", 20);
    private final int rate = env("BENCH_RATE", 200);
    private final int seconds = env("BENCH_SECONDS", 30);
    private final String heap = System.getenv().getOrDefault("BENCH_HEAP", "512m");
    private final int parallelism = env("BENCH_PARALLELISM", 32);
    private final int deployWarmup = env("BENCH_DEPLOY_WARMUP", 10);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private final List<KubernetesMockServer> servers = new ArrayList<>();
    private final List<KubernetesClient> controllerClients = new ArrayList<>();
    private final List<SharedIndexInformer<Deployment>> controllers = new ArrayList<>();
    private final AtomicInteger rolledOut = new AtomicInteger();
    /** The controller's clients share one Vert.x (the default factory starts one per client). */
    private final io.fabric8.kubernetes.client.http.HttpClient.Factory controllerHttp = new VertxHttpClientFactory(Vertx.vertx());

    private Path root;
    private String loadBefore = "";
    private PostgresCluster postgres;
    /** The poll of the runs' states: one session, not a new PostgreSQL backend ten times a second. */
    private Connection statesConnection;
    private long requestsAtStart;
    private String warmupSummary = "none (BENCH_DEPLOY_WARMUP=0: the figures below are a cold service's)";
    private KafkaBroker kafka;
    private Process service;
    private URI base;
    private String operator;
    private String viewer;

    /**
     * The mock API servers log every request at INFO through java.util.logging: 13 % of this driver's CPU while the
     * deployments ran, on the cores region-service needs. A real API server does not log in our process, so the
     * driver keeps warnings only (a strong reference: java.util.logging holds its loggers weakly).
     */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    public static void main(String[] args) throws Exception {
        NettyUnsafe.keep(); // the Kubernetes mock servers are Vert.x on Netty, as in the local stack
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
        RegionServiceBenchmark benchmark = new RegionServiceBenchmark();
        int status = 0;
        try {
            benchmark.run();
        } catch (Exception | Error e) {
            e.printStackTrace();
            status = 1;
        } finally {
            try {
                benchmark.stop();
            } catch (Exception | Error e) {
                // still leave below: a failed clean-up must not leave the JVM hanging on the mocks' threads
                e.printStackTrace();
                status = 1;
            }
        }
        // The mock servers' Vert.x threads are not daemons: leave explicitly.
        System.exit(status);
    }

    private void run() throws Exception {
        root = Files.createTempDirectory(Path.of("/tmp"), "meridian-bench-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        log("Benchmark: %d regions x %d services, registry at %d requests/s for %d s; region-service heap cap %s, %d executor threads",
                regions, services, rate, seconds, heap, parallelism);
        loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        long t0 = System.nanoTime();
        postgres = PostgresCluster.builder("bench", root.resolve("postgres"), Ports.freePort()).build();
        kafka = KafkaBroker.create(root.resolve("kafka"), Ports.freePort(), Ports.freePort());
        Thread broker = Thread.ofPlatform().start(kafka::start);
        postgres.initIfNeeded().start();
        postgres.createDatabase("meridian");
        DevTokens tokens = DevTokens.loadOrCreate(root.resolve("keys"));
        operator = tokens.mint("bench-operator", Duration.ofHours(2), "operator");
        viewer = tokens.mint("bench-viewer", Duration.ofHours(2), "viewer");
        startClusters();
        broker.join();
        log("PostgreSQL, Kafka and %d Kubernetes APIs up in %d ms", servers.size(), ms(t0));

        int port = Ports.freePort();
        base = URI.create("http://127.0.0.1:" + port);
        startService(port, tokens);

        long setup = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> work = new ArrayList<>();
            for (int i = 0; i < regions; i++) {
                int n = i;
                work.add(pool.submit(() -> {
                    expect(201, send("POST", "/api/v1/regions", operator, regionBody(n)));
                    expect(201, send("PUT", "/api/v1/deployments/config/values/regions/" + regionId(n), operator,
                            "{\"values\":{\"image\":{\"registry\":\"registry." + regionId(n) + ".local:5000\"}}}"));
                    return null;
                }));
            }
            List<String> named = new ArrayList<>();
            for (int s = 0; s < services; s++) {
                named.add(serviceName(s));
            }
            for (int s = 0; s < deployWarmup; s++) {
                named.add(WARMUP + (s + 1));
            }
            for (String name : named) {
                work.add(pool.submit(() -> expect(201, send("PUT", "/api/v1/deployments/config/values/services/" + name, operator,
                        "{\"values\":{\"image\":{\"repository\":\"meridian/" + name + "\"},\"config\":{\"SERVICE\":\"" + name + "\"}}}"))));
            }
            for (Future<?> future : work) {
                future.get();
            }
        }
        log("Registered %d regions and %d services' values in %d ms", regions, services, ms(setup));

        // Registry API under an open-loop load, on a warmed-up service that is not deploying.
        int warmup = env("BENCH_WARMUP", 30);
        log("Registry API: GET /api/v1/regions/{id} at %d requests/s, %d s warm-up (JIT) then %d s measured", rate, warmup, seconds);
        load(warmup, false);
        int errorsBefore = errors.get();
        long[] latencies = load(seconds, true);
        Arrays.sort(latencies);
        int registryErrors = errors.get() - errorsBefore;
        log("Registry: p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d errors", pct(latencies, 50), pct(latencies, 99),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6, registryErrors);

        // The deployment path warmed up the way the registry's is (JIT, pools, the drift watches of every region), on
        // services of their own: a control plane deploys for days, so its first minute is not what this figure is about.
        if (services > 0 && deployWarmup > 0) {
            long warm = System.nanoTime();
            double warmCpu0 = cpuSeconds(service.pid());
            int warmRuns = 0;
            for (int s = 0; s < deployWarmup; s++) {
                warmRuns += deploy(WARMUP + (s + 1), "0.0." + s);
            }
            Map<String, Integer> warmStates = awaitFinished(WARMUP + "%", warmRuns, warm, new long[0]);
            double warmCpu = cpuSeconds(service.pid()) - warmCpu0;
            warmupSummary = String.format("%d region runs of %d other services on a cold service, all finished after %.1f s (%s);"
                    + " region-service CPU %.1f s, %.1f ms per region run", warmRuns, deployWarmup, (System.nanoTime() - warm) / 1e9, warmStates,
                    warmCpu, warmCpu * 1000 / Math.max(1, warmRuns));
            log("Deploy warm-up: %s", warmupSummary);
            Waits.pause(Duration.ofSeconds(5)); // let the watches' start and the last events settle
        }

        // Placed, rendered and applied.
        double serviceCpu0 = cpuSeconds(service.pid());
        double driverCpu0 = cpuSeconds(ProcessHandle.current().pid());
        Map<String, Double> serviceThreads0 = cpuByThreadKind(service.pid());
        Map<String, Double> driverThreads0 = cpuByThreadKind(ProcessHandle.current().pid());
        requestsAtStart = apiRequests();
        long start = System.nanoTime();
        int runs = 0;
        for (int s = 0; s < services; s++) {
            runs += deploy(serviceName(s), "1.0." + s);
        }
        long submitted = System.nanoTime();
        log("Placed %d services and submitted %d region runs in %d ms", services, runs, (submitted - start) / 1_000_000);
        long[] applied = new long[1];
        Map<String, Integer> states = awaitFinished("svc-%", runs, start, applied);
        long ready = System.nanoTime();
        log("All %d region runs finished after %d ms: %s (controller marked %d Deployments rolled out, warm-up included)", runs,
                (ready - start) / 1_000_000, states, rolledOut.get());
        log("The API servers received %d requests from the deployments' start until every run finished (%.1f per region run, the"
                + " controllers' status writes included)", apiRequests() - requestsAtStart, (apiRequests() - requestsAtStart) / (double) runs);
        double serviceCpu = cpuSeconds(service.pid()) - serviceCpu0;
        double driverCpu = cpuSeconds(ProcessHandle.current().pid()) - driverCpu0;
        String serviceSplit = since(serviceThreads0, cpuByThreadKind(service.pid()));
        String driverSplit = since(driverThreads0, cpuByThreadKind(ProcessHandle.current().pid()));
        long[] deployHeap = gcPeaks();
        histogram("after-deployments");

        // The same load right after the deployments (the drift watcher starts watching every region now, or did in the warm-up).
        int errorsAfterBefore = errors.get();
        long[] after = load(Math.min(seconds, 15), true);
        Arrays.sort(after);
        int afterErrors = errors.get() - errorsAfterBefore;
        long[] runHeap = gcPeaks();
        histogram("after-registry-load");
        String loadAfter = Files.readString(Path.of("/proc/loadavg")).trim();

        System.out.println();
        System.out.println("## Region service benchmark results (" + Instant.now() + ")");
        System.out.printf("regions=%d services=%d region-runs=%d executor-threads=%d heap-cap=%s%n", regions, services, runs, parallelism, heap);
        System.out.printf("deploy warm-up before the measured runs: %s%n", warmupSummary);
        System.out.printf("placed+rendered+applied wall time: %.1f s%n", (applied[0] - start) / 1e9);
        System.out.printf("placed+rendered+applied+rolled out (simulated controller) wall time: %.1f s%n", (ready - start) / 1e9);
        System.out.printf("final states: %s%n", states);
        System.out.printf("CPU used meanwhile: region-service %.1f s (%.1f ms per region run); this driver (200 mock API servers and the"
                + " simulated controllers) %.1f s%n", serviceCpu, serviceCpu * 1000 / runs, driverCpu);
        System.out.printf("  by thread kind (CPU-s of threads alive at the end): region-service %s; driver %s%n", serviceSplit, driverSplit);
        System.out.printf("peak heap used (G1, before a collection, from the GC log) until the deployments finished: %d MB; over the whole run: %d MB;"
                + " largest heap after a collection: %d MB; heap committed at most: %d MB%n", deployHeap[0], runHeap[0], runHeap[1], runHeap[2]);
        System.out.printf("registry GET /api/v1/regions/{id} at %d/s for %d s (idle service): n=%d p50=%.2f ms p90=%.2f ms p99=%.2f ms p99.9=%.2f ms max=%.2f ms errors=%d%n",
                rate, seconds, latencies.length, pct(latencies, 50), pct(latencies, 90), pct(latencies, 99), pct(latencies, 99.9),
                latencies.length == 0 ? 0 : latencies[latencies.length - 1] / 1e6, registryErrors);
        System.out.printf("registry GET at %d/s right after the deployments (drift watches %s): n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms errors=%d%n",
                rate, deployWarmup > 0 ? "running since the warm-up" : "starting", after.length, pct(after, 50), pct(after, 99), after.length == 0 ? 0 : after[after.length - 1] / 1e6, afterErrors);
        System.out.println("machine load average (1/5/15 min) at the start: " + loadBefore + "; at the end: " + loadAfter);
        System.out.println("region-service log, GC log and heap histograms: " + root);
    }

    private final AtomicInteger errors = new AtomicInteger();

    /** Requests all mock API servers have received so far (watches count once, when opened). */
    private long apiRequests() {
        return servers.stream().mapToLong(KubernetesMockServer::getRequestCount).sum();
    }

    /** Sends GETs at the fixed rate for {@code duration} seconds, whatever the answers' latency (open loop). */
    private long[] load(int duration, boolean record) throws InterruptedException {
        int total = duration * rate;
        long[] latencies = new long[total];
        AtomicInteger count = new AtomicInteger();
        long interval = 1_000_000_000L / rate;
        long begin = System.nanoTime();
        try (ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < total; i++) {
                long due = begin + i * interval;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                String path = "/api/v1/regions/" + regionId(i % regions);
                senders.execute(() -> {
                    long sent = System.nanoTime();
                    try {
                        HttpResponse<String> response = send("GET", path, viewer, null);
                        long took = System.nanoTime() - sent;
                        if (response.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                        if (record) {
                            latencies[count.getAndIncrement()] = took;
                        }
                    } catch (RuntimeException e) {
                        errors.incrementAndGet();
                    }
                });
            }
        }
        return Arrays.copyOf(latencies, count.get());
    }

    private void startClusters() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < regions; i++) {
            KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                    new KubernetesCrudDispatcher(), false);
            server.init(loopback, 0);
            servers.add(server);
            KubernetesClient client = new KubernetesClientBuilder().withHttpClientFactory(controllerHttp)
                    .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(server.url("/")).withRequestRetryBackoffLimit(3).build())
                    .build();
            controllerClients.add(client);
            SharedIndexInformer<Deployment> informer = client.apps().deployments().inNamespace(NAMESPACE).inform(new Controller(client), 0);
            controllers.add(informer);
        }
    }

    /** Plays each cluster's deployment controller: a Deployment whose newest generation is unobserved becomes rolled out. */
    private final class Controller implements ResourceEventHandler<Deployment> {
        private final KubernetesClient client;

        Controller(KubernetesClient client) {
            this.client = client;
        }

        @Override
        public void onAdd(Deployment deployment) {
            rollOut(deployment);
        }

        @Override
        public void onUpdate(Deployment before, Deployment after) {
            rollOut(after);
        }

        @Override
        public void onDelete(Deployment deployment, boolean unknown) {
        }

        private void rollOut(Deployment deployment) {
            Long generation = deployment.getMetadata().getGeneration();
            if (deployment.getStatus() != null && generation != null && generation.equals(deployment.getStatus().getObservedGeneration())) {
                return;
            }
            try {
                client.apps().deployments().inNamespace(NAMESPACE).resource(new DeploymentBuilder(deployment).withNewStatus()
                        .withObservedGeneration(generation).withReplicas(2).withUpdatedReplicas(2).withReadyReplicas(2)
                        .withAvailableReplicas(2).endStatus().build()).updateStatus();
                rolledOut.incrementAndGet();
            } catch (RuntimeException e) {
                log("controller could not update %s: %s", deployment.getMetadata().getName(), e.getMessage());
            }
        }
    }

    private void startService(int port, DevTokens tokens) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-Xlog:gc:file=" + root.resolve("gc.log"), System.getenv().getOrDefault("BENCH_GC", "-XX:+UseG1GC"),
                System.getenv("BENCH_JFR") == null ? "-Dbench.jfr=off" : "-XX:StartFlightRecording=filename=" + root.resolve("region-service.jfr")
                        + ",settings=profile",
                "-cp", System.getProperty("java.class.path"),
                "io.meridian.region.RegionServiceApplication",
                "--server.port=" + port,
                "--spring.datasource.url=" + postgres.jdbcUrl("meridian"),
                "--spring.datasource.username=" + postgres.user(),
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + tokens.publicKeyFile(),
                "--meridian.deployments.parallelism=" + parallelism,
                "--meridian.deployments.ready-poll-interval=500ms",
                "--spring.datasource.hikari.maximum-pool-size=" + Math.max(10, parallelism + 4),
                "--logging.level.root=WARN", "--logging.level.io.meridian=WARN"));
        service = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(root.resolve("region-service.log").toFile()).start();
        long t0 = System.nanoTime();
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(base.resolve("/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (!service.isAlive() || System.nanoTime() - t0 > TimeUnit.SECONDS.toNanos(120)) {
                throw new IllegalStateException("region-service did not become ready; see " + root.resolve("region-service.log"));
            }
            Waits.pause(Duration.ofMillis(200)); // poll readiness
        }
        log("region-service ready on %s in %d ms (pid %d)", base, ms(t0), service.pid());
    }

    /** Live objects of region-service by class (jcmd forces a full GC first), top 40, into the run directory. */
    private void histogram(String name) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), String.valueOf(service.pid()),
                    "GC.class_histogram").redirectErrorStream(true).start();
            List<String> all = new String(jcmd.getInputStream().readAllBytes()).lines().toList();
            List<String> lines = new ArrayList<>(all.subList(0, Math.min(44, all.size())));
            if (all.size() > 44) {
                lines.add(all.getLast());
            }
            jcmd.waitFor(60, TimeUnit.SECONDS);
            Files.write(root.resolve("histogram-" + name + ".txt"), lines);
            lines.stream().filter(line -> line.startsWith("Total")).findFirst().ifPresent(total -> log("Live heap %s: %s", name, total));
            new String(Files.readAllBytes(root.resolve("histogram-" + name + ".txt"))).lines().skip(3).limit(6)
                    .forEach(line -> log("  %s", line.trim()));
        } catch (IOException | InterruptedException e) {
            log("no histogram: %s", e.getMessage());
        }
    }

    /**
     * Heap peaks from region-service's GC log (no probe in the service, so measuring costs it nothing):
     * the most heap used when a collection started, the most left after one, the most committed (MB).
     */
    private long[] gcPeaks() {
        long before = 0;
        long after = 0;
        long committed = 0;
        try {
            for (String line : Files.readAllLines(root.resolve("gc.log"))) {
                Matcher matcher = GC_LINE.matcher(line);
                if (matcher.find()) {
                    before = Math.max(before, Long.parseLong(matcher.group(1)));
                    after = Math.max(after, Long.parseLong(matcher.group(2)));
                    committed = Math.max(committed, Long.parseLong(matcher.group(3)));
                }
            }
        } catch (IOException e) {
            log("no GC log: %s", e.getMessage());
        }
        return new long[] {before, after, committed};
    }

    /** Places {@code name} and deploys it at {@code version} to every eligible region; returns the number of region runs. */
    private int deploy(String name, String version) {
        String placement = send("GET", "/api/v1/placements?service=" + name, viewer, null).body();
        List<String> eligible = eligible(placement);
        String ids = String.join(",", eligible.stream().map(id -> "\"" + id + "\"").toList());
        expect(202, send("POST", "/api/v1/deployments", operator,
                "{\"service\":\"" + name + "\",\"version\":\"" + version + "\",\"regions\":[" + ids + "]}"));
        return eligible.size();
    }

    /**
     * Polls the region runs of the services named like {@code services} (SQL LIKE) until all {@code runs} finished; the first
     * element of {@code applied}, if it has one, becomes the time all were applied (ROLLING_OUT or later).
     */
    private Map<String, Integer> awaitFinished(String services, int runs, long start, long[] applied) throws Exception {
        while (true) {
            Map<String, Integer> states = states(services);
            int done = states.getOrDefault("ROLLING_OUT", 0) + states.getOrDefault("SUCCEEDED", 0);
            int failed = states.getOrDefault("FAILED", 0);
            if (applied.length > 0 && applied[0] == 0 && done + failed >= runs) {
                applied[0] = System.nanoTime();
                log("All %d region runs applied after %d ms (%s); the API servers received %d requests meanwhile", runs,
                        (applied[0] - start) / 1_000_000, states, apiRequests() - requestsAtStart);
            }
            if (states.getOrDefault("SUCCEEDED", 0) + failed >= runs) {
                return states;
            }
            if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(10)) {
                throw new IllegalStateException("not done after 10 minutes: " + states);
            }
            Waits.pause(Duration.ofMillis(100)); // poll the runs' states
        }
    }

    private Map<String, Integer> states(String services) throws Exception {
        Map<String, Integer> states = new HashMap<>();
        if (statesConnection == null) {
            statesConnection = postgres.connect("meridian");
        }
        try (PreparedStatement statement = statesConnection.prepareStatement(
                "SELECT state, count(*) FROM region.deployment_regions WHERE service LIKE ? GROUP BY state")) {
            statement.setString(1, services);
            ResultSet rs = statement.executeQuery();
            while (rs.next()) {
                states.put(rs.getString(1), rs.getInt(2));
            }
        }
        return states;
    }

    private static List<String> eligible(String placement) {
        int start = placement.indexOf("\"eligible\":[");
        int end = placement.indexOf(']', start);
        String list = placement.substring(start + 12, end);
        List<String> ids = new ArrayList<>();
        for (String part : list.split(",")) {
            if (!part.isBlank()) {
                ids.add(part.replace("\"", "").trim());
            }
        }
        return ids;
    }

    private String regionBody(int n) {
        String[][] zones = {{"EU", "\"GDPR\"", "DE"}, {"US", "\"CCPA\"", "US"}, {"APAC", "", "JP"}, {"BR", "\"LGPD\"", "BR"},
                {"CA", "", "CA"}, {"UK", "", "GB"}};
        String[] zone = zones[n % zones.length];
        KubernetesMockServer server = servers.get(n);
        return """
                {"id":"%1$s","displayName":"Benchmark region %2$d","provider":"local",
                 "location":{"latitude":%3$s,"longitude":%4$s,"country":"%7$s"},"zone":"%5$s","regimes":[%6$s],
                 "status":"ACTIVE","endpoints":{"kubernetesApi":"http://127.0.0.1:%8$d","kubernetesContext":"%1$s","databases":[],
                 "objectStore":{"endpoint":"http://127.0.0.1:19000","bucket":"meridian-%1$s"},"ingressUrl":"http://127.0.0.1:18101"},
                 "capacity":{"cpuCores":64,"memoryGib":256},"labels":{"tier":"gold"}}
                """.formatted(regionId(n), n, (n % 160) - 80 + 0.5, (n * 7 % 360) - 180 + 0.5, zone[0], zone[1], zone[2], server.getPort());
    }

    private static String regionId(int n) {
        return "bm-region-" + (n + 1);
    }

    private static String serviceName(int s) {
        return "svc-" + (s + 1);
    }

    private HttpResponse<String> send(String method, String path, String token, String body) {
        return ControlApi.send(http, base, method, path, token, "benchmark", body, Duration.ofSeconds(60));
    }

    private static Void expect(int status, HttpResponse<String> response) {
        if (response.statusCode() != status) {
            throw new IllegalStateException(response.request().method() + " " + response.request().uri() + " answered "
                    + response.statusCode() + ": " + response.body());
        }
        return null;
    }

    private static double pct(long[] sorted, double percentile) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private void stop() {
        if (service != null) {
            service.destroy();
            try {
                service.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            service.destroyForcibly();
        }
        // each step on its own: one that throws must not leave Kafka or PostgreSQL running behind the benchmark
        if (statesConnection != null) {
            Connection connection = statesConnection;
            quietly("closing the states poll's session", () -> {
                try {
                    connection.close();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        controllers.forEach(informer -> quietly("closing an informer", informer::close));
        controllerClients.forEach(client -> quietly("closing a controller client", client::close));
        servers.forEach(server -> quietly("stopping a mock API server", server::destroy));
        if (kafka != null) {
            quietly("stopping Kafka", kafka::stop);
        }
        if (postgres != null) {
            quietly("stopping PostgreSQL", postgres::stop);
        }
    }

    private static void quietly(String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            log("%s failed: %s", what, e);
        }
    }

    /** User plus system CPU seconds of process {@code pid} so far (Linux /proc). */
    private static double cpuSeconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU seconds of a JVM's live threads by kind, from {@code /proc/<pid>/task}: the JIT compilers, the garbage collector,
     * and everything else (the application). A thread that ended meanwhile is missing from both readings.
     */
    private static Map<String, Double> cpuByThreadKind(long pid) {
        Map<String, Double> kinds = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc", String.valueOf(pid), "task"))) {
            tasks.forEach(task -> {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double seconds = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / 100.0;
                    String kind = name.contains("CompilerThre") ? "jit" : name.startsWith("GC Thread") || name.startsWith("G1 ") ? "gc" : "app";
                    kinds.merge(kind, seconds, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended while listed
                }
            });
        } catch (IOException e) {
            // no /proc: no split
        }
        return kinds;
    }

    private static String since(Map<String, Double> before, Map<String, Double> after) {
        List<String> parts = new ArrayList<>();
        after.forEach((kind, seconds) -> parts.add(String.format("%s %.1f", kind, seconds - before.getOrDefault(kind, 0.0))));
        return String.join(", ", parts);
    }

    private static int env(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value);
    }

    private static long ms(long since) {
        return (System.nanoTime() - since) / 1_000_000;
    }

    private static void log(String format, Object... args) {
        System.out.printf("[%s] %s%n", Instant.now().toString().substring(11, 23), String.format(format, args));
    }
}
