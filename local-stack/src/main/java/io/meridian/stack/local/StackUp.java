package io.meridian.stack.local;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import tools.jackson.databind.JsonNode;

import io.meridian.common.security.Roles;
import io.meridian.stack.Jdk;
import io.meridian.stack.Ports;
import io.meridian.stack.Waits;
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.stack.local.StackState.Kind;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.stack.process.ManagedProcess;
import io.meridian.stack.process.Processes;

/**
 * {@code up}: starts the whole stack, in parallel where dependencies allow, waits until every
 * component answers, registers the regions, prints what runs where, then stays in the foreground
 * until SIGINT or SIGTERM and stops everything it started, last started first.
 *
 * <pre>
 * Kafka ─────────────────────┬──────────────────────────── gateway
 * control-plane PostgreSQL ──┴── services ── region seeds
 * us-east-1 PostgreSQL ── us-west-2 standby ── sample apps
 * eu-west-1, ap-northeast-1 PostgreSQL ─────── sample apps
 * S3 (in this JVM), Kubernetes APIs (in this JVM)
 * </pre>
 *
 * A component that fails to start (or to become ready in time) stops the whole start: its error
 * and log tail are printed, everything already started is stopped, and {@link #run()} returns 1.
 */
public final class StackUp {

    /** Kafka client port. */
    public static final int KAFKA_PORT = 19092;
    /** Kafka KRaft controller port. */
    public static final int KAFKA_CONTROLLER_PORT = 19093;
    /** Control-plane PostgreSQL port. */
    public static final int CONTROL_PLANE_PORT = 15432;
    /** S3 API port. */
    public static final int S3_PORT = 19000;
    /** The control-plane database (each service has its own schema in it). */
    public static final String CONTROL_PLANE_DATABASE = "meridian";
    /** The regional application database. */
    public static final String APP_DATABASE = "app";
    /** The namespace created in each simulated Kubernetes API. */
    public static final String NAMESPACE = "meridian";
    /** How long dev tokens minted at start are valid. */
    public static final Duration TOKEN_TTL = Duration.ofHours(12);

    /** JVM options of a sample app: it is tiny, so a smaller heap than the services. */
    static final List<String> SAMPLE_APP_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xss512k", "-Xms32m", "-Xmx128m",
            "-XX:MaxMetaspaceSize=96m", "-XX:ReservedCodeCacheSize=32m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-XX:+ExitOnOutOfMemoryError");

    private static final Logger LOG = LoggerFactory.getLogger(StackUp.class);
    private static final Duration CHILD_STOP_GRACE = Duration.ofSeconds(20);
    /**
     * A second failover-service instance: failover decides by a quorum of two independent observers, so the
     * stack runs two, as production runs one per region. Both probe the us-east-1/us-west-2 pair; the holder of
     * the executor lease acts.
     */
    static final String FAILOVER_WITNESS = "failover-witness";
    static final int FAILOVER_WITNESS_PORT = 18094;
    /** A service recording its class cache writes it at exit, which takes a while on a busy machine. */
    static final Duration CACHE_STOP_GRACE = Duration.ofSeconds(150);
    private static final Duration SAMPLE_APP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);

    /**
     * What to start and how long to wait.
     *
     * @param without      services not to start
     * @param readyTimeout how long each service may take to become ready
     * @param t0EpochMillis when the command began (the {@code ./stack} script passes it), for the ready time
     */
    public record Options(Set<Services> without, Duration readyTimeout, long t0EpochMillis) {
        /** Copies the set. */
        public Options {
            without = without.isEmpty() ? EnumSet.noneOf(Services.class) : EnumSet.copyOf(without);
        }
    }

    /** A component this {@code up} started, with how to stop it and how to see whether it still runs. */
    private record Started(StackState.Entry entry, Runnable stop, BooleanSupplier alive) {
    }

    /** A start that failed, with what failed. */
    private record Failure(String component, Throwable error) {
    }

    /** Thrown inside start tasks once the stack is stopping. */
    private static final class Aborted extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Aborted() {
            super("the stack is stopping", null, false, false);
        }
    }

    private final StackHome home;
    private final Options options;
    private final PrintStream out;
    private final List<RegionSeeds.Seed> seeds;
    private final ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private final Object lock = new Object();
    private final List<Started> started = new ArrayList<>();
    private final List<CompletableFuture<?>> tasks = new CopyOnWriteArrayList<>();
    private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> firstFailure = new CompletableFuture<>();
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final List<String> seedOutcomes = new CopyOnWriteArrayList<>();
    private final List<String> policyOutcomes = new CopyOnWriteArrayList<>();
    private final List<String> recordingCaches = new CopyOnWriteArrayList<>();
    private final List<Runnable> partialCaches = new CopyOnWriteArrayList<>();
    private final StackPrepare preparation;
    private volatile boolean stopping;
    private CpuAccount.Machine machineAtStart;
    private StackState state;

    /** A stack to start in {@code home}. */
    public StackUp(StackHome home, Options options, PrintStream out) {
        this.home = home;
        this.options = options;
        this.out = out;
        this.seeds = RegionSeeds.load();
        this.preparation = new StackPrepare(home, seeds);
        this.state = new StackState(ProcessHandle.current().pid(), Instant.now().toString(), home.repo().toString(),
                home.dataDir().toString(), null, List.of());
    }

    /** Whether a signal (or a failure) has begun stopping the stack. */
    public boolean isStopping() {
        return stopping;
    }

    /**
     * Starts everything and stays until the JVM is asked to stop.
     *
     * @return 0 after a clean stop, 1 if the stack could not start, 2 if it is already running or
     *     its ports are taken
     */
    public int run() {
        Optional<String> blocked = preflight();
        if (blocked.isPresent()) {
            out.println(blocked.get());
            return 2;
        }
        home.createDirectories();
        LauncherLogging.toFile(home.logs().resolve("launcher.log"));
        if (System.getProperty(KafkaBroker.CLASSPATH_FILE_PROPERTY) == null) {
            System.setProperty(KafkaBroker.CLASSPATH_FILE_PROPERTY, home.kafkaClasspathFile().toString());
        }
        synchronized (lock) {
            state.write(home.stateFile());
        }
        Thread hook = Thread.ofPlatform().name("meridian-stack-stop").unstarted(this::shutdown);
        Runtime.getRuntime().addShutdownHook(hook);
        out.println("Starting the Meridian local stack (data in " + display(home.dataDir()) + ", logs in "
                + display(home.logs()) + ")");
        if (!options.without().isEmpty()) {
            out.println("  without: " + String.join(", ", options.without().stream().map(Services::module).toList()));
        }
        prepareJars();
        // once per build (./stack prepare does it ahead, as part of the build): extract the jars, train the caches
        long startedAt = options.t0EpochMillis();
        long preparationMillis = 0;
        if (preparation.prepare(services(), out).stream().anyMatch(o -> o.extracted() || o.trained())) {
            // the build's preparation is not part of the start: the start is timed from here
            long now = System.currentTimeMillis();
            preparationMillis = now - startedAt;
            startedAt = now;
        }
        machineAtStart = CpuAccount.machine();
        DevTokens tokens = DevTokens.loadOrCreate(home.keys());
        S3Server.Credentials credentials = S3Server.Credentials.loadOrCreate(home.s3());
        try {
            startAll(tokens, credentials);
        } catch (RuntimeException e) {
            if (shutdownStarted.get()) {
                return 130; // a signal stops the stack; the shutdown hook does the work
            }
            reportFailures(e);
            stopAll();
            removeHook(hook);
            return 1;
        }
        long readyMillis = System.currentTimeMillis() - startedAt;
        synchronized (lock) {
            state = state.ready(readyMillis);
            state.write(home.stateFile());
        }
        Map<String, Path> tokenFiles = writeTokens(tokens);
        printSummary(readyMillis, preparationMillis, tokenFiles, credentials);
        watch();
        return 0;
    }

    // ---------------------------------------------------------------------------------------------
    // preflight

    private Optional<String> preflight() {
        Optional<StackState> previous = StackState.read(home.stateFile());
        if (previous.isPresent()) {
            StackState prior = previous.get();
            if (StackControl.launcherAlive(prior)) {
                return Optional.of("The Meridian local stack is already running (launcher pid " + prior.launcherPid()
                        + ", started " + prior.startedAt() + "); use ./stack status or ./stack down");
            }
            List<String> leftovers = prior.components().stream().filter(e -> ComponentProbe.livePid(e) > 0)
                    .map(StackState.Entry::name).toList();
            if (!leftovers.isEmpty()) {
                return Optional.of("Components of a previous stack still run although its launcher (pid "
                        + prior.launcherPid() + ") is gone: " + String.join(", ", leftovers)
                        + "; stop them with ./stack down, then start again");
            }
        }
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(home.jar("sample-app"))) {
            missing.add(display(home.jar("sample-app")));
        }
        for (Services service : services()) {
            if (!Files.isRegularFile(home.jar(service.module()))) {
                missing.add(display(home.jar(service.module())) + " (or pass --without " + service.shortName() + ")");
            }
        }
        if (!Files.isRegularFile(home.kafkaClasspathFile())) {
            missing.add(display(home.kafkaClasspathFile()));
        }
        if (!missing.isEmpty()) {
            return Optional.of("Not built: " + String.join(", ", missing)
                    + ". Build with ./mvnw -B -q -DskipTests package (./stack does that when a jar is missing or stale).");
        }
        Map<Integer, String> ports = new TreeMap<>();
        ports.put(KAFKA_PORT, "kafka");
        ports.put(KAFKA_CONTROLLER_PORT, "kafka controller");
        ports.put(CONTROL_PLANE_PORT, "postgres-control-plane");
        ports.put(S3_PORT, "s3");
        for (RegionSeeds.Seed seed : seeds) {
            ports.put(seed.postgresPort(), "postgres-" + seed.id());
            ports.put(seed.kubernetesPort(), "kubernetes-" + seed.id());
            ports.put(seed.appPort(), "sample-app-" + seed.id());
        }
        for (Services service : services()) {
            ports.put(service.port(), service.module());
        }
        List<String> taken = ports.entrySet().stream().filter(e -> !Ports.isFree(e.getKey()))
                .map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
        if (!taken.isEmpty()) {
            return Optional.of("Ports in use on 127.0.0.1: " + String.join(", ", taken) + ". If a previous ./stack up "
                    + "still runs it is already running: use ./stack status or ./stack down; otherwise stop the "
                    + "program that holds them (ss -ltnp shows it).");
        }
        return Optional.empty();
    }

    /**
     * Copies the sample app jar into the data directory, where a rebuild cannot touch it (the service
     * jars are extracted there by {@link #extract}, in parallel with the start of the infrastructure).
     */
    private void prepareJars() {
        try {
            Path copy = home.runJar("sample-app");
            Path source = home.jar("sample-app");
            if (!sameStamp(source, copy)) {
                Files.createDirectories(copy.getParent());
                Path tmp = copy.resolveSibling("." + copy.getFileName() + ".tmp");
                Files.copy(source, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                Files.move(tmp, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the sample app jar", e);
        }
    }

    private static boolean sameStamp(Path source, Path copy) throws IOException {
        return Files.exists(copy) && Files.size(copy) == Files.size(source)
                && Files.getLastModifiedTime(copy).equals(Files.getLastModifiedTime(source));
    }

    private List<Services> services() {
        return java.util.Arrays.stream(Services.values()).filter(s -> !options.without().contains(s)).toList();
    }

    // ---------------------------------------------------------------------------------------------
    // start

    private void startAll(DevTokens tokens, S3Server.Credentials credentials) {
        List<CompletableFuture<?>> all = new ArrayList<>();
        CompletableFuture<KafkaBroker> kafka = task("kafka", this::startKafka);
        CompletableFuture<PostgresCluster> controlPlane = task("postgres-control-plane", this::startControlPlane);
        all.add(kafka);
        all.add(controlPlane);
        Map<String, CompletableFuture<PostgresCluster>> regional = new LinkedHashMap<>();
        for (RegionSeeds.Seed seed : seeds) {
            if (!seed.isStandby()) {
                regional.put(seed.id(), task("postgres-" + seed.id(), () -> startRegionalPrimary(seed)));
            }
        }
        for (RegionSeeds.Seed seed : seeds) {
            if (seed.isStandby()) {
                CompletableFuture<PostgresCluster> primary = regional.get(seed.standbyOf());
                if (primary == null) {
                    throw new IllegalStateException("seed " + seed.id() + " is a standby of unknown region " + seed.standbyOf());
                }
                regional.put(seed.id(), after(primary, "postgres-" + seed.id(), p -> startStandby(seed, p)));
            }
        }
        all.addAll(regional.values());
        all.add(task("s3", () -> startS3(credentials)));
        all.add(task("kubernetes", this::startKubernetes));
        for (RegionSeeds.Seed seed : seeds) {
            all.add(after(regional.get(seed.id()), "sample-app-" + seed.id(), pg -> startSampleApp(seed)));
        }
        CompletableFuture<Void> infrastructure = CompletableFuture.allOf(kafka, controlPlane);
        String admin = tokens.mint("local-stack", Duration.ofMinutes(10), Roles.implied(Roles.ADMIN).toArray(String[]::new));
        CompletableFuture<Void> regionsSeeded = null;
        CompletableFuture<Services> routingReady = null;
        for (Services service : services()) {
            CompletableFuture<Path> jar = task(service.module() + " (extract)", () -> preparation.extract(service.module()));
            CompletableFuture<Path> dependency = (service == Services.GATEWAY ? kafka : infrastructure).thenCombine(jar, (a, j) -> j);
            CompletableFuture<Services> ready = after(dependency, service.module(), j -> startService(service, j, tokens, credentials));
            all.add(ready);
            if (service == Services.FAILOVER) {
                all.add(after(dependency, FAILOVER_WITNESS, j -> startService(service, j, tokens, credentials, FAILOVER_WITNESS_PORT)));
            }
            if (service == Services.REGION) {
                regionsSeeded = ready.thenRunAsync(() -> seedRegions(admin), pool);
                all.add(regionsSeeded);
            } else if (service == Services.ROUTING) {
                routingReady = ready;
            }
        }
        if (regionsSeeded != null && routingReady != null) {
            // routing-service validates a policy's regions against the registry: seed after the regions
            all.add(regionsSeeded.thenCombine(routingReady, (a, b) -> b).thenRunAsync(() -> seedRoutingPolicies(admin), pool));
        }
        CompletableFuture<Void> everything = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        CompletableFuture.anyOf(everything, firstFailure).join();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("a component failed to start");
        }
        everything.join();
    }

    private <T> CompletableFuture<T> task(String component, Callable<T> body) {
        CompletableFuture<T> future = CompletableFuture.supplyAsync(() -> guarded(component, body), pool);
        tasks.add(future);
        return future;
    }

    private <A, T> CompletableFuture<T> after(CompletableFuture<A> dependency, String component, Function<A, T> body) {
        CompletableFuture<T> future = dependency.thenApplyAsync(a -> guarded(component, () -> body.apply(a)), pool);
        tasks.add(future);
        return future;
    }

    private <T> T guarded(String component, Callable<T> body) {
        if (stopping) {
            throw new Aborted();
        }
        try {
            return body.call();
        } catch (Aborted e) {
            throw e;
        } catch (Exception e) {
            if (!stopping) {
                failures.add(new Failure(component, e));
                firstFailure.complete(null);
            }
            throw new CompletionException(e);
        }
    }

    private KafkaBroker startKafka() {
        long t0 = System.nanoTime();
        KafkaBroker broker = KafkaBroker.create(home.kafka(), KAFKA_PORT, KAFKA_CONTROLLER_PORT);
        broker.start();
        link(home.logs().resolve("kafka.out"), home.kafka().resolve("broker.out"));
        link(home.logs().resolve("kafka.log"), home.kafka().resolve("broker.log"));
        register(new StackState.Entry("kafka", Kind.KAFKA, null, broker.bootstrapServers(), KAFKA_PORT, null,
                broker.pid().orElse(-1), 0, home.kafka().toString(), home.kafka().resolve(KafkaBroker.PID_FILE).toString(),
                home.logs().resolve("kafka.out").toString(), "KRaft, controller on " + KAFKA_CONTROLLER_PORT),
                broker::stop, broker::isRunning);
        progress("kafka", null, broker.bootstrapServers(), t0);
        return broker;
    }

    private PostgresCluster startControlPlane() {
        long t0 = System.nanoTime();
        PostgresCluster cluster = PostgresCluster.builder("control-plane", home.postgres("control-plane"), CONTROL_PLANE_PORT)
                .setting("max_connections", "200")
                .build();
        startCluster(cluster, null, 1, "control plane: database " + CONTROL_PLANE_DATABASE);
        cluster.createDatabase(CONTROL_PLANE_DATABASE);
        progress("postgres-control-plane", null, cluster.jdbcUrl(CONTROL_PLANE_DATABASE), t0);
        return cluster;
    }

    private PostgresCluster startRegionalPrimary(RegionSeeds.Seed seed) {
        long t0 = System.nanoTime();
        PostgresCluster cluster = PostgresCluster.builder(seed.id(), home.postgres(seed.id()), seed.postgresPort()).build();
        startCluster(cluster, seed.id(), 1, "primary");
        cluster.createDatabase(APP_DATABASE);
        progress("postgres-" + seed.id(), seed.id(), cluster.jdbcUrl(APP_DATABASE), t0);
        return cluster;
    }

    private PostgresCluster startStandby(RegionSeeds.Seed seed, PostgresCluster primary) {
        long t0 = System.nanoTime();
        PostgresCluster standby = PostgresCluster.standbyOf(primary, seed.id(), home.postgres(seed.id()),
                seed.postgresPort(), java.util.Objects.requireNonNull(seed.slot()));
        startCluster(standby, seed.id(), 2, "standby of " + seed.standbyOf() + " (slot " + seed.slot() + ")");
        progress("postgres-" + seed.id(), seed.id(), standby.jdbcUrl(APP_DATABASE), t0);
        return standby;
    }

    private void startCluster(PostgresCluster cluster, @Nullable String region, int tier, String note) {
        cluster.initIfNeeded();
        cluster.start();
        Path log = home.logs().resolve("postgres-" + cluster.name() + ".log");
        link(log, cluster.logFile());
        String database = region == null ? CONTROL_PLANE_DATABASE : APP_DATABASE;
        register(new StackState.Entry("postgres-" + cluster.name(), Kind.POSTGRES, region, cluster.jdbcUrl(database),
                cluster.port(), null, cluster.pid().orElse(-1), tier, cluster.dataDir().toString(), null, log.toString(), note),
                () -> stopCluster(cluster), cluster::isRunning);
    }

    /** {@code pg_ctl stop -m fast}; SIGKILL to the postmaster if that fails. */
    static void stopCluster(PostgresCluster cluster) {
        try {
            cluster.stop();
        } catch (RuntimeException e) {
            LOG.warn("PostgreSQL cluster {} did not stop cleanly ({}); killing it", cluster.name(), e.getMessage());
            cluster.kill();
        }
    }

    private S3Server startS3(S3Server.Credentials credentials) {
        long t0 = System.nanoTime();
        S3Server server = S3Server.start(home.s3(), S3_PORT, credentials, seeds.stream().map(RegionSeeds.Seed::bucket).toList());
        register(new StackState.Entry("s3", Kind.S3, null, server.endpoint().toString(), S3_PORT, null,
                ProcessHandle.current().pid(), 3, home.s3().toString(), null, home.logs().resolve("launcher.log").toString(),
                "s3proxy in the launcher; buckets meridian-<region>; keys in " + display(home.s3().resolve("credentials"))),
                server::close, () -> true);
        progress("s3", null, server.endpoint().toString(), t0);
        return server;
    }

    private KubernetesApis startKubernetes() {
        long t0 = System.nanoTime();
        Map<String, Integer> ports = new LinkedHashMap<>();
        seeds.forEach(seed -> ports.put(seed.kubernetesContext(), seed.kubernetesPort()));
        KubernetesApis apis = KubernetesApis.start(ports, NAMESPACE);
        apis.writeKubeconfig(home.kubeconfig());
        for (RegionSeeds.Seed seed : seeds) {
            String url = apis.url(seed.kubernetesContext()).toString();
            register(new StackState.Entry("kubernetes-" + seed.id(), Kind.KUBERNETES, seed.id(), url, seed.kubernetesPort(),
                    url + "/api/v1/namespaces/" + NAMESPACE, ProcessHandle.current().pid(), 3, null, null,
                    home.logs().resolve("launcher.log").toString(), "fabric8 mock (in memory), context " + seed.kubernetesContext()),
                    () -> apis.stop(seed.kubernetesContext()), () -> true);
            progress("kubernetes-" + seed.id(), seed.id(), url, t0);
        }
        return apis;
    }

    private Void startSampleApp(RegionSeeds.Seed seed) {
        long t0 = System.nanoTime();
        String name = "sample-app-" + seed.id();
        List<String> command = new ArrayList<>();
        command.add(Jdk.javaExecutable().toString());
        command.addAll(SAMPLE_APP_JVM_OPTIONS);
        command.addAll(List.of("-jar", home.runJar("sample-app").toString(), "--region=" + seed.id(), "--port=" + seed.appPort(),
                "--jdbc-url=jdbc:postgresql://127.0.0.1:" + seed.postgresPort() + "/" + APP_DATABASE, "--db-user=postgres"));
        String url = "http://127.0.0.1:" + seed.appPort();
        startChild(name, Kind.SAMPLE_APP, seed.id(), seed.appPort(), url, url + "/health", command, Map.of(), 4,
                home.logs().resolve(name + ".log"), SAMPLE_APP_TIMEOUT, seed.isStandby() ? "read-only (standby database)" : "",
                CHILD_STOP_GRACE);
        progress(name, seed.id(), url, t0);
        return null;
    }

    private Services startService(Services service, Path jar, DevTokens tokens, S3Server.Credentials credentials) {
        return startService(service, jar, tokens, credentials, service.port());
    }

    /**
     * Starts {@code service}; on another port than its own it is a second instance (the failover witness), with
     * its own name for logs, caches and the state file.
     */
    private Services startService(Services service, Path jar, DevTokens tokens, S3Server.Credentials credentials, int port) {
        long t0 = System.nanoTime();
        boolean second = port != service.port();
        String name = second ? FAILOVER_WITNESS : service.module();
        StartupCache cache = StartupCache.forService(jar.getParent(), name, service.module(), Jdk.home());
        ServiceLaunch.Launch launch = new ServiceLaunch(home, seeds, tokens.publicKeyFile(), credentials)
                .of(service, jar, name, port, cache.options(), List.of());
        List<String> command = launch.command();
        Map<String, String> env = launch.env();
        if (cache.recording()) {
            recordingCaches.add(name);
        }
        boolean[] ready = {false};
        if (cache.recording()) {
            // a run that never got ready records a partial cache: drop it once the JVM is gone
            partialCaches.add(() -> {
                if (!ready[0]) {
                    StartupCache.discard(jar.getParent(), name);
                }
            });
        }
        String url = "http://127.0.0.1:" + port;
        startChild(name, service == Services.GATEWAY ? Kind.GATEWAY : Kind.SERVICE, null, port, url,
                url + "/actuator/health/readiness", command, env, service == Services.GATEWAY ? 6 : 5,
                home.logs().resolve(name + ".out"), options.readyTimeout(),
                service == Services.GATEWAY ? "front door" : second ? "second failover observer" : "",
                cache.recording() ? CACHE_STOP_GRACE : CHILD_STOP_GRACE);
        ready[0] = true;
        progress(name, null, url, t0);
        return service;
    }

    private void startChild(String name, Kind kind, @Nullable String region, int port, String url, String healthUrl,
            List<String> command, Map<String, String> env, int tier, Path output, Duration timeout, String note,
            Duration stopGrace) {
        ManagedProcess process = ManagedProcess.start(name, command, env, home.dataDir(), output,
                home.run().resolve(name + ".pid"));
        register(new StackState.Entry(name, kind, region, url, port, healthUrl, process.pid(), tier, null,
                home.run().resolve(name + ".pid").toString(), output.toString(), note.isEmpty() ? null : note),
                () -> process.stop(stopGrace), process::isAlive);
        URI health = URI.create(healthUrl);
        String[] last = {"no answer yet"};
        Waits.until(name + " to answer 200 on " + healthUrl, timeout, Duration.ofMillis(200), () -> {
            if (stopping) {
                throw new Aborted();
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") exited before it was ready"
                        + process.exitCode().stream().mapToObj(c -> " (exit code " + c + ")").findFirst().orElse("")
                        + "; " + LogDigest.of(output, 40));
            }
            try {
                HttpResponse<Void> response = http.send(HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(2)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                last[0] = "HTTP " + response.statusCode();
                return response.statusCode() == 200;
            } catch (IOException e) {
                last[0] = e.getClass().getSimpleName();
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Aborted();
            }
        }, () -> "last answer: " + last[0] + "; " + LogDigest.of(output, 40));
    }

    private void seedRegions(String adminToken) {
        for (RegionSeeds.Seed seed : seeds) {
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + Services.REGION.port() + "/api/v1/regions"))
                        .timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + adminToken)
                        .header("Content-Type", "application/json")
                        .header("X-Meridian-Reason", "local stack seed")
                        .POST(HttpRequest.BodyPublishers.ofString(seed.body().toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                String outcome = switch (response.statusCode()) {
                    case 201 -> "registered";
                    case 409 -> "already registered";
                    default -> "NOT registered: HTTP " + response.statusCode() + " " + abbreviate(response.body());
                };
                if (response.statusCode() == 201 || response.statusCode() == 409) {
                    outcome += "; " + seedImageRegistry(adminToken, seed);
                }
                seedOutcomes.add(seed.id() + ": " + outcome);
                LOG.info("region seed {}: HTTP {} {}", seed.id(), response.statusCode(), response.body());
            } catch (IOException e) {
                seedOutcomes.add(seed.id() + ": NOT registered: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The region's image registry from its seed, as the region's layer of deployment values (every service deployed
     * there pulls from it), unless the region has values already: an operator's changes are kept.
     */
    private String seedImageRegistry(String adminToken, RegionSeeds.Seed seed) throws IOException, InterruptedException {
        String body = "{\"values\":{\"image\":{\"registry\":\"" + seed.imageRegistry() + "\"}}}";
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + Services.REGION.port()
                        + "/api/v1/deployments/config/values/regions/" + seed.id()))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/json")
                .header("X-Meridian-Reason", "local stack seed: the region's image registry")
                .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        LOG.info("region values seed {}: HTTP {} {}", seed.id(), response.statusCode(), response.body());
        return switch (response.statusCode()) {
            case 201 -> "images from " + seed.imageRegistry();
            case 428 -> "region values kept";
            default -> "image registry NOT set: HTTP " + response.statusCode() + " " + abbreviate(response.body());
        };
    }

    /**
     * Creates the seeded routing policies that do not exist yet; an operator's changes to them are kept. routing-service
     * learns regions from the region-events topic, so right after the regions were registered it may not know all of them
     * yet and refuses a policy naming one (400): such a policy is sent again, for up to 15 s.
     */
    private void seedRoutingPolicies(String adminToken) {
        for (JsonNode policy : RegionSeeds.routingPolicies()) {
            String service = policy.path("service").asString();
            try {
                java.util.concurrent.atomic.AtomicReference<HttpResponse<String>> last =
                        new java.util.concurrent.atomic.AtomicReference<>(sendPolicy(adminToken, policy));
                try {
                    Waits.until("routing-service to accept the " + service + " policy", Duration.ofSeconds(15), Duration.ofMillis(250), () -> {
                        if (last.get().statusCode() == 400) {
                            last.set(sendPolicyUnchecked(adminToken, policy));
                        }
                        return last.get().statusCode() != 400;
                    }, () -> "");
                } catch (IllegalStateException timedOut) {
                    LOG.info("routing policy seed {}: still refused after 15 s", service);
                }
                HttpResponse<String> response = last.get();
                String outcome = switch (response.statusCode()) {
                    case 201 -> "created";
                    case 409 -> "already there";
                    default -> "NOT created: HTTP " + response.statusCode() + " " + abbreviate(response.body());
                };
                policyOutcomes.add(service + ": " + outcome);
                LOG.info("routing policy seed {}: HTTP {} {}", service, response.statusCode(), response.body());
            } catch (IOException | java.io.UncheckedIOException e) {
                policyOutcomes.add(service + ": NOT created: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private HttpResponse<String> sendPolicyUnchecked(String adminToken, JsonNode policy) {
        try {
            return sendPolicy(adminToken, policy);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private HttpResponse<String> sendPolicy(String adminToken, JsonNode policy) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + Services.ROUTING.port() + "/api/v1/routing/policies"))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/json")
                .header("X-Meridian-Reason", "local stack seed")
                .POST(HttpRequest.BodyPublishers.ofString(policy.toString())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void register(StackState.Entry entry, Runnable stop, BooleanSupplier alive) {
        synchronized (lock) {
            if (stopping) {
                stopQuietly(entry.name(), stop);
                throw new Aborted();
            }
            started.add(new Started(entry, stop, alive));
            state = state.with(entry);
            state.write(home.stateFile());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // running

    private Map<String, Path> writeTokens(DevTokens tokens) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String role : List.of(Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN)) {
            String token = tokens.mint("dev-" + role, TOKEN_TTL, Roles.implied(role).toArray(String[]::new));
            Path file = home.tokens().resolve(role + ".jwt");
            writePrivate(file, token + "\n");
            files.put(role, file);
        }
        return files;
    }

    private void printSummary(long readyMillis, long preparationMillis, Map<String, Path> tokenFiles,
            S3Server.Credentials credentials) {
        List<Started> snapshot;
        synchronized (lock) {
            snapshot = new ArrayList<>(started);
        }
        snapshot.sort(Comparator.comparing(Started::entry, DISPLAY_ORDER));
        out.println();
        if (preparationMillis > 0) {
            out.printf(Locale.ROOT, "Meridian local stack: all %d components ready %.1f s after the start (build not included;"
                    + " the command first spent %.1f s preparing this build's services)%n", snapshot.size(),
                    readyMillis / 1000.0, preparationMillis / 1000.0);
        } else {
            out.printf(Locale.ROOT, "Meridian local stack: all %d components ready %.1f s after the command (build not included)%n",
                    snapshot.size(), readyMillis / 1000.0);
        }
        CpuAccount.Machine machineNow = CpuAccount.machine();
        if (machineAtStart != null && machineNow != null) {
            // what the start cost, and whether other work competed for the cores meanwhile
            double stackCpu = CpuAccount.seconds(snapshot.stream().map(s -> s.entry().pid()).toList());
            out.printf(Locale.ROOT, "  start-up used %.0f CPU-s in the stack's processes; the machine's %d cores were %.0f%% busy meanwhile%n",
                    stackCpu, Runtime.getRuntime().availableProcessors(), 100 * machineNow.busySince(machineAtStart));
        }
        out.println();
        Table table = new Table("COMPONENT", "REGION", "URL / PORT", "PID", "STATUS");
        for (Started s : snapshot) {
            StackState.Entry e = s.entry();
            table.row(e.name(), e.region() == null ? "-" : e.region(), e.endpoint(), Long.toString(e.pid()),
                    "ready" + (e.note() == null ? "" : " (" + e.note() + ")"));
        }
        table.print(out);
        out.println();
        if (!seedOutcomes.isEmpty()) {
            out.println("Regions: " + String.join("; ", seedOutcomes));
        } else if (options.without().contains(Services.REGION)) {
            out.println("Regions: not registered (region-service not started)");
        }
        if (!policyOutcomes.isEmpty()) {
            out.println("Routing policies: " + String.join("; ", policyOutcomes));
        }
        out.println("Dev tokens (valid " + TOKEN_TTL.toHours() + " h; a fresh one: ./stack token <role>):");
        tokenFiles.forEach((role, file) -> out.printf("  %-9s %s%n", role, display(file)));
        String viewer = display(tokenFiles.get(Roles.VIEWER));
        String admin = display(tokenFiles.get(Roles.ADMIN));
        out.println("Try:");
        out.println("  curl -H \"Authorization: Bearer $(cat " + viewer + ")\" http://127.0.0.1:" + Services.GATEWAY.port() + "/api/v1/regions");
        out.println("  curl -H \"Authorization: Bearer $(cat " + admin + ")\" http://127.0.0.1:" + Services.GATEWAY.port() + "/api/v1/regions/eu-west-1");
        out.println("  curl http://127.0.0.1:18101/                      # the us-east-1 sample app says who served");
        out.println("  curl -H 'Content-Type: application/json' -d '{\"key\":\"k1\",\"value\":\"v1\"}' http://127.0.0.1:18101/items");
        out.println("  curl http://127.0.0.1:18102/items/k1              # read back on the us-west-2 standby");
        out.println("  AWS_SHARED_CREDENTIALS_FILE=" + display(home.s3().resolve("credentials")) + " aws --profile "
                + S3Server.PROFILE + " --endpoint-url http://127.0.0.1:" + S3_PORT + " s3 ls");
        out.println("  kubectl --kubeconfig " + display(home.kubeconfig()) + " --context eu-west-1 get namespaces");
        out.println("S3 access key " + credentials.accessKeyId() + " (secret in " + display(home.s3().resolve("credentials")) + ")");
        out.println("Logs in " + display(home.logs()) + "; state in " + display(home.stateFile())
                + ". Ctrl-C stops everything (or ./stack down from another shell).");
        out.flush();
    }

    /** Shared parts first, then each region's parts region by region, then the services and the gateway. */
    static final Comparator<StackState.Entry> DISPLAY_ORDER = Comparator.comparingInt(StackUp::displayOrder)
            .thenComparing(StackState.Entry::name);

    private static int displayOrder(StackState.Entry e) {
        int regional = e.region() == null ? 0 : 100 + 10 * (List.of("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1")
                .indexOf(e.region()) + 1);
        return switch (e.kind()) {
            case KAFKA -> 0;
            case POSTGRES -> e.region() == null ? 1 : regional;
            case S3 -> 2;
            case KUBERNETES -> regional + 1;
            case SAMPLE_APP -> regional + 2;
            case SERVICE -> 1000;
            case GATEWAY -> 1001;
        };
    }

    /** Reports a child that exits while the stack runs; the rest keeps running. */
    private void watch() {
        Set<String> reported = new java.util.HashSet<>();
        while (!stopping) {
            List<Started> snapshot;
            synchronized (lock) {
                snapshot = new ArrayList<>(started);
            }
            for (Started s : snapshot) {
                if (!stopping && !reported.contains(s.entry().name()) && !s.alive().getAsBoolean()) {
                    reported.add(s.entry().name());
                    out.println("!! " + s.entry().name() + " (pid " + s.entry().pid() + ") is no longer running; see "
                            + (s.entry().logFile() == null ? "its log" : display(Path.of(s.entry().logFile())))
                            + " (./stack status shows the rest)");
                }
            }
            try {
                Waits.pause(Duration.ofSeconds(2));
            } catch (IllegalStateException e) {
                return; // interrupted
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // stop

    private void shutdown() {
        if (!shutdownStarted.compareAndSet(false, true)) {
            return;
        }
        out.println();
        out.println("Stopping the Meridian local stack ...");
        if (!recordingCaches.isEmpty()) {
            out.println("  (first stop after a build: " + String.join(", ", recordingCaches)
                    + " write their startup caches as they exit, which takes up to a minute; the next start is faster)");
        }
        stopAll();
    }

    private void stopAll() {
        synchronized (lock) {
            stopping = true;
        }
        // let in-flight starts settle: waits abort at once, a component that starts now is stopped as it registers
        try {
            CompletableFuture.allOf(tasks.toArray(CompletableFuture[]::new)).get(SETTLE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | CompletionException e) {
            // failures were reported already
        } catch (TimeoutException e) {
            out.println("  some starts did not settle within " + SETTLE_TIMEOUT.toSeconds() + " s; stopping what is recorded");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Started> snapshot;
        synchronized (lock) {
            snapshot = new ArrayList<>(started);
        }
        Map<Integer, List<Started>> tiers = new TreeMap<>(Comparator.reverseOrder());
        snapshot.forEach(s -> tiers.computeIfAbsent(s.entry().tier(), t -> new ArrayList<>()).add(s));
        List<String> survivors = new CopyOnWriteArrayList<>();
        for (List<Started> tier : tiers.values()) {
            List<CompletableFuture<Void>> stops = tier.stream().map(s -> CompletableFuture.runAsync(() -> {
                long t0 = System.nanoTime();
                if (stopQuietly(s.entry().name(), s.stop())) {
                    out.printf(Locale.ROOT, "  stopped %-24s (%.1f s)%n", s.entry().name(), (System.nanoTime() - t0) / 1e9);
                } else {
                    survivors.add(s.entry().name());
                }
            }, pool)).toList();
            CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
        }
        partialCaches.forEach(Runnable::run);
        if (survivors.isEmpty()) {
            try {
                Files.deleteIfExists(home.stateFile());
            } catch (IOException e) {
                LOG.warn("cannot delete {}: {}", home.stateFile(), e.toString());
            }
            out.println("Stopped everything this ./stack up started.");
        } else {
            out.println("Could not stop: " + String.join(", ", survivors) + "; see " + display(home.logs().resolve("launcher.log"))
                    + " and try ./stack down");
        }
        out.flush();
    }

    private static boolean stopQuietly(String name, Runnable stop) {
        try {
            stop.run();
            return true;
        } catch (RuntimeException | Error e) { // keep stopping the others whatever happens to one
            LOG.warn("stopping {} failed", name, e);
            return false;
        }
    }

    private void reportFailures(RuntimeException e) {
        out.println();
        if (failures.isEmpty()) {
            out.println("The stack could not start: " + e.getMessage());
            LOG.info("start failed", e);
        }
        for (Failure failure : failures) {
            Throwable cause = failure.error() instanceof CompletionException c && c.getCause() != null ? c.getCause() : failure.error();
            out.println("FAILED: " + failure.component() + ": " + cause.getMessage());
            LOG.info("{} failed to start", failure.component(), cause); // the stack trace goes to launcher.log only
        }
        out.println();
        out.println("Stopping what was started (logs stay in " + display(home.logs()) + ") ...");
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    // ---------------------------------------------------------------------------------------------
    // helpers

    private void progress(String component, @Nullable String region, String endpoint, long t0) {
        synchronized (out) {
            out.printf(Locale.ROOT, "  ready  %-24s %-15s %-46s %5.1f s%n", component, region == null ? "" : region, endpoint,
                    (System.nanoTime() - t0) / 1e9);
            out.flush();
        }
    }

    private static void link(Path link, Path target) {
        try {
            if (Files.isSymbolicLink(link) || Files.exists(link)) {
                return;
            }
            Files.createSymbolicLink(link, link.getParent().relativize(target));
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot link {} to {}: {}", link, target, e.toString());
        }
    }

    private static void writePrivate(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not POSIX
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ").strip();
        return oneLine.length() > 300 ? oneLine.substring(0, 300) + "..." : oneLine;
    }

    /** A path relative to the caller's directory ({@code $MERIDIAN_CWD}, else ours) when it is below it, else absolute. */
    static String display(Path path) {
        String caller = System.getenv("MERIDIAN_CWD");
        Path cwd = caller != null && !caller.isBlank() ? Path.of(caller).toAbsolutePath() : Path.of("").toAbsolutePath();
        Path abs = path.toAbsolutePath().normalize();
        return abs.startsWith(cwd) && !abs.equals(cwd) ? cwd.relativize(abs).toString() : abs.toString();
    }

    /** Whether a process with {@code pid} runs and looks like a local-stack launcher. */
    static boolean isLauncher(long pid) {
        return Processes.isAlive(pid) && Processes.commandLine(pid).map(c -> c.contains("local-stack") || c.contains("LocalStack"))
                .orElse(false);
    }
}
