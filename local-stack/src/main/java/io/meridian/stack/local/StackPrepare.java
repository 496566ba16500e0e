package io.meridian.stack.local;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.stack.Jdk;
import io.meridian.stack.Ports;
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.stack.process.Exec;

/**
 * The once-per-build part of running the services, done before the start (by {@code ./stack prepare}, and by
 * {@code ./stack up} when a build has not been prepared yet): each service jar is extracted into the data directory,
 * and each service's startup cache is trained by one full start of the service, recorded as the JVM exits.
 *
 * <p>Why: on two cores the start of the stack is bounded by CPU, and a service JVM with an AOT cache (JDK 25,
 * JEP 483/514/515) needs about a third of the CPU of one without (measured: gateway 8 against 31 CPU-s, failover
 * 8 against 25). Recording the cache during the first real start instead made that start the slowest of all and its
 * stop take minutes (the JVMs write their caches as they exit). A cache trained by a run that stops as soon as the
 * context is refreshed ({@code spring.context.exit=onRefresh}) was tried first: it misses everything a service loads
 * once it runs (web server, Kafka clients, Flyway, JDBC, request handling), and the stack's restarts took 103 CPU-s
 * with it against 68-87 with caches recorded by real runs.
 *
 * <p>So each training run is a real start against a throwaway PostgreSQL and Kafka of its own (under
 * {@code <data>/training/}, deleted afterwards), with its own {@code MERIDIAN_HOME} there and a free port: the service
 * migrates its schema, connects, serves its readiness and metrics endpoints, and is then stopped with SIGTERM, which
 * writes the cache. Nothing of the stack's own data is touched. A training that fails costs only speed: the service
 * then records its cache on its first start, as before. {@code ./stack} runs preparation only while no stack runs
 * from this data directory.
 */
public final class StackPrepare {

    private static final Logger LOG = LoggerFactory.getLogger(StackPrepare.class);
    private static final Duration EXTRACT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration EXIT_TIMEOUT = Duration.ofMinutes(3);

    /** What preparing one service did. */
    record Outcome(String module, boolean extracted, boolean trained, String note) {
    }

    private final StackHome home;
    private final List<RegionSeeds.Seed> seeds;

    StackPrepare(StackHome home, List<RegionSeeds.Seed> seeds) {
        this.home = home;
        this.seeds = seeds;
    }

    /**
     * Extracts and trains what is not prepared for the current build, two services at a time (or one per core), and
     * prints one line per service that needed work.
     *
     * @return one outcome per service
     */
    List<Outcome> prepare(List<Services> services, PrintStream out) {
        home.createDirectories();
        int parallel = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
        long t0 = System.nanoTime();
        List<Outcome> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            List<Future<Boolean>> extractions = new ArrayList<>();
            for (Services service : services) {
                extractions.add(pool.submit(() -> {
                    boolean fresh = !isExtracted(service.module());
                    extract(service.module());
                    return fresh;
                }));
            }
            List<Services> untrained = new ArrayList<>();
            List<Boolean> extracted = new ArrayList<>();
            for (int i = 0; i < services.size(); i++) {
                extracted.add(extractions.get(i).get());
                Services service = services.get(i);
                if (!StartupCache.trained(home.extracted(service.module()), service.module(), Jdk.home())) {
                    untrained.add(service);
                }
            }
            Map<Services, String> notes = untrained.isEmpty() ? Map.of() : train(untrained, pool);
            for (int i = 0; i < services.size(); i++) {
                Services service = services.get(i);
                String note = notes.getOrDefault(service, "");
                Outcome o = new Outcome(service.module(), extracted.get(i), untrained.contains(service) && note.isEmpty(), note);
                outcomes.add(o);
                if (o.extracted() || o.trained() || !o.note().isEmpty()) {
                    out.printf(Locale.ROOT, "  prepared %-20s %s%n", o.module(), describe(o));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while preparing the services", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("preparing the services failed: " + e.getCause().getMessage(), e.getCause());
        }
        if (outcomes.stream().anyMatch(o -> o.extracted() || o.trained())) {
            out.printf(Locale.ROOT, "Prepared the services for this build in %.1f s (once per build)%n",
                    (System.nanoTime() - t0) / 1e9);
        }
        return outcomes;
    }

    /** Trains the caches of {@code services} against a throwaway PostgreSQL and Kafka; returns why a training failed. */
    private Map<Services, String> train(List<Services> services, ExecutorService pool) throws InterruptedException, ExecutionException {
        Path root = home.dataDir().resolve("training");
        Map<Services, String> notes = new java.util.EnumMap<>(Services.class);
        try {
            deleteTree(root);
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            services.forEach(service -> notes.put(service, "no startup cache: cannot create " + root + ": " + e.getMessage()));
            return notes;
        }
        if (System.getProperty(KafkaBroker.CLASSPATH_FILE_PROPERTY) == null) {
            System.setProperty(KafkaBroker.CLASSPATH_FILE_PROPERTY, home.kafkaClasspathFile().toString());
        }
        DevTokens tokens = DevTokens.loadOrCreate(home.keys());
        S3Server.Credentials credentials = S3Server.Credentials.loadOrCreate(home.s3());
        ServiceLaunch launch = new ServiceLaunch(home, seeds, tokens.publicKeyFile(), credentials);
        PostgresCluster postgres = PostgresCluster.builder("training", root.resolve("postgres"), Ports.freePort())
                .setting("max_connections", "100").build();
        KafkaBroker kafka = KafkaBroker.create(root.resolve("kafka"), Ports.freePort(), Ports.freePort());
        try {
            postgres.initIfNeeded();
            postgres.start();
            postgres.createDatabase(StackUp.CONTROL_PLANE_DATABASE);
            kafka.start();
            Path trainingHome = Files.createDirectories(root.resolve("home"));
            List<Future<String>> runs = new ArrayList<>();
            for (Services service : services) {
                runs.add(pool.submit(() -> trainOne(service, launch, postgres.jdbcUrl(StackUp.CONTROL_PLANE_DATABASE),
                        kafka.bootstrapServers(), trainingHome)));
            }
            for (int i = 0; i < services.size(); i++) {
                String note = runs.get(i).get();
                if (!note.isEmpty()) {
                    notes.put(services.get(i), note);
                }
            }
        } catch (RuntimeException | IOException e) {
            LOG.warn("cannot train the startup caches: {}", e.toString());
            services.forEach(service -> notes.putIfAbsent(service, "no startup cache: the training infrastructure failed ("
                    + e.getMessage() + "); the first start records one"));
        } finally {
            StackUp.stopCluster(postgres);
            try {
                kafka.stop();
            } catch (RuntimeException e) {
                kafka.kill();
            }
            try {
                deleteTree(root);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", root, e.toString());
            }
        }
        return notes;
    }

    private static String describe(Outcome o) {
        List<String> parts = new ArrayList<>();
        if (o.extracted()) {
            parts.add("jar extracted");
        }
        if (o.trained()) {
            parts.add("startup cache trained");
        }
        if (!o.note().isEmpty()) {
            parts.add(o.note());
        }
        return String.join("; ", parts);
    }

    /**
     * One training run of {@code service}: its stack command with {@code -XX:AOTCacheOutput} against the training
     * infrastructure, until it is ready and has served its metrics once, then SIGTERM; the JVM writes the cache as it
     * exits.
     *
     * @return "" when a cache was written, else why not
     */
    private String trainOne(Services service, ServiceLaunch launch, String controlPlane, String kafka, Path trainingHome) {
        String module = service.module();
        Path jar = home.extracted(module).resolve(module + ".jar");
        Path dir = jar.getParent();
        int port = Ports.freePort();
        ServiceLaunch.Launch run = launch.of(service, jar, module + "-training", port, StartupCache.trainingOptions(dir, module, Jdk.home()),
                List.of(), controlPlane, kafka, trainingHome);
        Path output = home.logs().resolve(module + "-training.out");
        long t0 = System.nanoTime();
        Process process = null;
        try {
            ProcessBuilder builder = new ProcessBuilder(run.command()).directory(home.dataDir().toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(run.env());
            process = builder.start();
            String base = "http://127.0.0.1:" + port;
            if (!answers(process, base + "/actuator/health/readiness")) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                StartupCache.discard(dir, module);
                return "no startup cache: the training run " + (process.isAlive() ? "hung" : "did not get ready") + " (see "
                        + StackUp.display(output) + "); the first start records one";
            }
            answers(process, base + "/actuator/prometheus");
            process.destroy(); // SIGTERM: a graceful exit, during which the JVM writes the cache
            if (!process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                StartupCache.discard(dir, module);
                return "no startup cache: the training run did not exit within " + EXIT_TIMEOUT.toSeconds() + " s";
            }
            if (!StartupCache.trained(dir, module, Jdk.home())) {
                StartupCache.discard(dir, module);
                return "no startup cache: the training run wrote none (exit " + process.exitValue() + ", see "
                        + StackUp.display(output) + "); the first start records one";
            }
            LOG.info("trained the startup cache of {} in {} ms", module, (System.nanoTime() - t0) / 1_000_000);
            return "";
        } catch (IOException e) {
            StartupCache.discard(dir, module);
            return "no startup cache: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) {
                process.destroyForcibly();
            }
            StartupCache.discard(dir, module);
            throw new IllegalStateException("interrupted while training " + module, e);
        }
    }

    /** Whether {@code url} answers 200 before the process exits or {@link #READY_TIMEOUT} passes. */
    private static boolean answers(Process process, String url) throws InterruptedException {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(5))
                        .GET().build(), java.net.http.HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // not listening yet
            }
            process.waitFor(250, TimeUnit.MILLISECONDS); // wakes early if the process exits
        }
        return false;
    }

    /**
     * {@code ./stack prepare}: prepares every service not in {@code without} in {@code home}, unless a stack runs from it
     * (its JVMs run from the extracted jars and read their caches).
     *
     * @return 0 when prepared, 2 when a stack runs
     */
    public static int prepareAll(StackHome home, Set<Services> without, PrintStream out) {
        Optional<StackState> state = StackState.read(home.stateFile());
        if (state.isPresent() && StackControl.launcherAlive(state.get())) {
            out.println("The Meridian local stack runs from " + StackUp.display(home.dataDir()) + " (launcher pid "
                    + state.get().launcherPid() + "); stop it with ./stack down before preparing a new build");
            return 2;
        }
        List<Services> services = Arrays.stream(Services.values()).filter(s -> !without.contains(s)).toList();
        List<Outcome> outcomes = new StackPrepare(home, RegionSeeds.load()).prepare(services, out);
        if (outcomes.stream().noneMatch(o -> o.extracted() || o.trained() || !o.note().isEmpty())) {
            out.println("The services are prepared for this build already");
        }
        return 0;
    }

    private String stampOf(String module) throws IOException {
        Path source = home.jar(module);
        return Files.size(source) + " " + Files.getLastModifiedTime(source).toMillis() + " " + source;
    }

    private boolean isExtracted(String module) {
        Path dir = home.extracted(module);
        try {
            Path stamp = dir.resolve(".source");
            return Files.exists(stamp) && Files.readString(stamp).equals(stampOf(module))
                    && Files.isRegularFile(dir.resolve(module + ".jar"));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Extracts a service jar ({@code -Djarmode=tools extract}) unless the extracted copy is of the same build; returns
     * the jar to run. A new extraction replaces the directory, and with it a cache trained for the previous build.
     */
    Path extract(String module) {
        Path source = home.jar(module);
        Path dir = home.extracted(module);
        if (isExtracted(module)) {
            return dir.resolve(module + ".jar");
        }
        try {
            long t0 = System.nanoTime();
            Path tmp = dir.resolveSibling("." + module + ".extracting");
            deleteTree(tmp);
            Exec.Result result = Exec.run(List.of(Jdk.javaExecutable().toString(), "-Djarmode=tools", "-jar",
                    source.toString(), "extract", "--destination", tmp.toString(), "--application-filename", module + ".jar"),
                    Map.of(), home.dataDir(), EXTRACT_TIMEOUT);
            if (!result.succeeded()) {
                throw new IllegalStateException("extracting " + source + " failed:\n" + result.output().strip());
            }
            Files.writeString(tmp.resolve(".source"), stampOf(module));
            deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("extracted {} into {} in {} ms", source, dir, (System.nanoTime() - t0) / 1_000_000);
            return dir.resolve(module + ".jar");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + source + " into " + dir, e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
