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
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.process.Exec;

/**
 * The once-per-build part of running the services, done before the start (by {@code ./stack prepare}, and by
 * {@code ./stack up} when a build has not been prepared yet): each service jar is extracted into the data directory,
 * and each service's startup cache is trained by a run that stops as soon as its application context is refreshed
 * ({@code -Dspring.context.exit=onRefresh}, Spring Boot's documented training run for class-data and AOT caches).
 *
 * <p>Why: on two cores the start of the stack is bounded by CPU, and a service JVM with an AOT cache (JDK 25,
 * JEP 483/514/515) needs about a third of the CPU of one without (measured: gateway 8 against 31 CPU-s, failover
 * 8 against 25). Recording the cache during the first real start instead made that start the slowest of all and its
 * stop take minutes (the JVMs write their caches as they exit).
 *
 * <p>A training run needs neither the database nor Kafka: Flyway is switched off for it, and the context exits
 * before any lifecycle component (web server, listeners, topic provisioning) starts, so nothing it does reaches
 * outside the JVM. A training that fails costs only speed: the service then records its cache on its first start,
 * as before. Preparation holds no lock; {@code ./stack} runs it only while no stack runs from this data directory.
 */
public final class StackPrepare {

    private static final Logger LOG = LoggerFactory.getLogger(StackPrepare.class);
    private static final Duration EXTRACT_TIMEOUT = Duration.ofMinutes(2);
    private static final Duration TRAINING_TIMEOUT = Duration.ofMinutes(5);
    /** Arguments that keep a training run inside its JVM: no migrations, no topic creation. */
    static final List<String> TRAINING_ARGUMENTS = List.of("--spring.flyway.enabled=false",
            "--spring.kafka.admin.auto-create=false");

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
        DevTokens tokens = DevTokens.loadOrCreate(home.keys());
        S3Server.Credentials credentials = S3Server.Credentials.loadOrCreate(home.s3());
        ServiceLaunch launch = new ServiceLaunch(home, seeds, tokens.publicKeyFile(), credentials);
        int parallel = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
        long t0 = System.nanoTime();
        List<Outcome> outcomes = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            List<Future<Outcome>> futures = new ArrayList<>();
            for (Services service : services) {
                futures.add(pool.submit(() -> prepare(service, launch)));
            }
            for (Future<Outcome> f : futures) {
                Outcome o = f.get();
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

    private Outcome prepare(Services service, ServiceLaunch launch) {
        String module = service.module();
        boolean extracted = !isExtracted(module);
        Path jar = extract(module);
        if (StartupCache.trained(jar.getParent(), module, Jdk.home())) {
            return new Outcome(module, extracted, false, "");
        }
        String note = train(service, jar, launch);
        return new Outcome(module, extracted, note.isEmpty(), note);
    }

    /**
     * One training run of {@code service}: its stack command with the training options, stopped by Spring when the
     * context is refreshed; the JVM writes the cache as it exits.
     *
     * @return "" when a cache was written, else why not
     */
    private String train(Services service, Path jar, ServiceLaunch launch) {
        Path dir = jar.getParent();
        String module = service.module();
        List<String> jvm = new ArrayList<>(StartupCache.trainingOptions(dir, module, Jdk.home()));
        jvm.add("-Dspring.context.exit=onRefresh");
        ServiceLaunch.Launch run = launch.of(service, jar, module + "-training", service.port(), jvm, TRAINING_ARGUMENTS);
        Path output = home.logs().resolve(module + "-training.out");
        long t0 = System.nanoTime();
        try {
            ProcessBuilder builder = new ProcessBuilder(run.command()).directory(home.dataDir().toFile())
                    .redirectErrorStream(true).redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(run.env());
            Process process = builder.start();
            if (!process.waitFor(TRAINING_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                StartupCache.discard(dir, module);
                return "no startup cache: the training run took over " + TRAINING_TIMEOUT.toSeconds() + " s (see "
                        + StackUp.display(output) + "); the first start records one";
            }
            int exit = process.exitValue();
            if (exit != 0 || !StartupCache.trained(dir, module, Jdk.home())) {
                StartupCache.discard(dir, module);
                return "no startup cache: the training run exited with " + exit + " (see " + StackUp.display(output)
                        + "); the first start records one";
            }
            LOG.info("trained the startup cache of {} in {} ms", module, (System.nanoTime() - t0) / 1_000_000);
            return "";
        } catch (IOException e) {
            StartupCache.discard(dir, module);
            return "no startup cache: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            StartupCache.discard(dir, module);
            throw new IllegalStateException("interrupted while training " + module, e);
        }
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
