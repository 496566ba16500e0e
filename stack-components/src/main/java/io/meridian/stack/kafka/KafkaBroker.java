package io.meridian.stack.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Uuid;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.stack.Jdk;
import io.meridian.stack.Ports;
import io.meridian.stack.Waits;
import io.meridian.stack.process.Exec;
import io.meridian.stack.process.ManagedProcess;
import io.meridian.stack.process.Processes;

/**
 * A real single-node KRaft Kafka broker (broker and controller in one JVM) on 127.0.0.1, run as a
 * child JVM from the jars listed in {@code kafka-broker/target/kafka-classpath.txt}.
 *
 * <p>Everything lives in the data directory, so that another process can find the broker again:
 * <ul>
 *   <li>{@code broker.pid}: the broker JVM's pid (first line; see {@link ManagedProcess}), removed on stop</li>
 *   <li>{@code cluster.id}: the KRaft cluster id, generated once</li>
 *   <li>{@code server.properties}, {@code log4j2.xml}: generated on every start</li>
 *   <li>{@code kraft/}: the log directory (metadata log and topic partitions), formatted once</li>
 *   <li>{@code broker.out}: the JVM's stdout and stderr, and the storage formatter's output</li>
 *   <li>{@code broker.log}: the broker's own log, WARN and above</li>
 *   <li>{@code kafka-cds.jsa.tmp}: transient, see below</li>
 * </ul>
 *
 * <p>Start-up speed: the broker JVM runs with the C1 compiler only ({@code -XX:TieredStopAtLevel=1},
 * plenty for a development broker, and it leaves CPU to the tests) and with an application
 * class-data-sharing archive of the Kafka classes. The first broker that runs without an archive
 * dumps one at exit ({@code -XX:ArchiveClassesAtExit} into its data directory); when {@link #stop()}
 * sees that it exited cleanly, it publishes the archive into the directory named by the system
 * property {@value #CDS_DIR_PROPERTY} (default {@code ${java.io.tmpdir}/meridian-kafka-cds-<user>},
 * used only if it belongs to the current user and nobody else can write to it) under a name derived
 * from the JVM and the classpath, for every later broker and storage formatter to use. On a 2-core
 * sandbox a broker JVM took about 7 s to start without either measure and 1.5 s with both.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

    /** System property naming the classpath file, overriding the search from the working directory. */
    public static final String CLASSPATH_FILE_PROPERTY = "meridian.kafka.classpath-file";
    /** Where the {@code kafka-broker} module writes the classpath, relative to the project root. */
    public static final String CLASSPATH_FILE = "kafka-broker/target/kafka-classpath.txt";
    /** The pid file's name inside the data directory. */
    public static final String PID_FILE = "broker.pid";
    /**
     * System property naming the directory for the broker's class-data-sharing archives (default
     * {@code ${java.io.tmpdir}/meridian-kafka-cds-<user name>}).
     */
    public static final String CDS_DIR_PROPERTY = "meridian.kafka.cds-dir";

    private static final String NAME = "kafka";
    private static final String MAIN_CLASS = "kafka.Kafka";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_GRACE = Duration.ofSeconds(20);
    private static final Duration FORMAT_TIMEOUT = Duration.ofSeconds(60);
    private static final String CDS_DUMP = "kafka-cds.jsa.tmp";
    /** Dumping an archive lists every class it skips as a warning; only errors are of interest. */
    private static final String QUIET_CDS = "-Xlog:cds*=error";

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private @Nullable ManagedProcess process;

    private KafkaBroker(Path dataDir, int port, int controllerPort) {
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /**
     * Describes a broker; nothing happens on disk until {@link #start()}.
     *
     * @param dataDir its data directory (created if missing)
     * @param port the client (PLAINTEXT) port on 127.0.0.1
     * @param controllerPort the KRaft controller port on 127.0.0.1
     * @return the broker handle
     */
    public static KafkaBroker create(Path dataDir, int port, int controllerPort) {
        if (port == controllerPort) {
            throw new IllegalArgumentException("The client and controller ports must differ: " + port);
        }
        for (int p : new int[] {port, controllerPort}) {
            if (p < 1 || p > 65_535) {
                throw new IllegalArgumentException("Not a TCP port: " + p);
            }
        }
        return new KafkaBroker(dataDir.toAbsolutePath().normalize(), port, controllerPort);
    }

    /**
     * Starts the broker unless it already runs from this data directory, and waits (up to 60 s)
     * until an admin client can describe the cluster. On the first start the storage is formatted
     * with {@code kafka.tools.StorageTool}.
     *
     * @return this
     * @throws IllegalStateException if the classpath file is missing, a port is taken, or the broker
     *     does not become ready (with the tail of its output and log; the broker JVM is then killed)
     */
    public synchronized KafkaBroker start() {
        Optional<ManagedProcess> running = attach(dataDir);
        if (running.isPresent()) {
            process = running.get();
            awaitReady(running.get(), System.nanoTime());
            return this;
        }
        long t0 = System.nanoTime();
        String classpath = readClasspath(findClasspathFile());
        try {
            Files.createDirectories(dataDir);
            String clusterId = clusterId();
            Files.writeString(dataDir.resolve("server.properties"), serverProperties(), StandardCharsets.UTF_8);
            Files.writeString(dataDir.resolve("log4j2.xml"), log4jConfig(), StandardCharsets.UTF_8);
            Files.deleteIfExists(dataDir.resolve(CDS_DUMP));
            if (!Files.exists(logDir().resolve("meta.properties"))) {
                format(classpath, clusterId);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not prepare Kafka data directory " + dataDir, e);
        }
        for (int p : new int[] {port, controllerPort}) {
            if (!Ports.isFree(p)) {
                throw new IllegalStateException("Cannot start Kafka in " + dataDir + ": port " + p
                        + " on 127.0.0.1 is already in use");
            }
        }
        List<String> command = new ArrayList<>(jvmOptions(classpath, "512m"));
        Optional<Path> archive = sharedArchive(classpath);
        if (archive.isPresent() && Files.isRegularFile(archive.get())) {
            command.add("-XX:SharedArchiveFile=" + archive.get());
            command.add(QUIET_CDS);
        } else if (archive.isPresent() && Files.isWritable(archive.get().getParent())) {
            command.add("-XX:ArchiveClassesAtExit=" + dataDir.resolve(CDS_DUMP));
            command.add(QUIET_CDS);
        }
        command.add("-Dlog4j2.configurationFile=" + dataDir.resolve("log4j2.xml"));
        command.add("-Dkafka.logs.dir=" + dataDir);
        command.add(MAIN_CLASS);
        command.add(dataDir.resolve("server.properties").toString());
        log.debug("Launching the Kafka broker JVM {} ms into start()", (System.nanoTime() - t0) / 1_000_000);
        ManagedProcess started = ManagedProcess.start(NAME, command, Map.of(), dataDir, outFile(),
                dataDir.resolve(PID_FILE));
        process = started;
        try {
            awaitReady(started, t0);
        } catch (RuntimeException e) {
            started.kill();
            process = null;
            throw e;
        }
        log.info("Started Kafka on {} (pid {}) in {} ms", bootstrapServers(), started.pid(),
                (System.nanoTime() - t0) / 1_000_000);
        return this;
    }

    /**
     * Stops the broker: SIGTERM (a clean shutdown), SIGKILL if it still runs after 20 s. Does
     * nothing if it does not run.
     */
    public synchronized void stop() {
        Optional<ManagedProcess> running = current();
        if (running.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        boolean clean = running.get().terminate(STOP_GRACE);
        process = null;
        publishClassArchive(clean);
        log.info("Stopped Kafka on {} (pid {}) in {} ms", bootstrapServers(), running.get().pid(),
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** Kills the broker JVM with SIGKILL now (drills). Does nothing if it does not run. */
    public synchronized void kill() {
        current().ifPresent(ManagedProcess::kill);
        process = null;
    }

    /**
     * Whether the broker JVM runs.
     *
     * @return {@code true} if it runs
     */
    public boolean isRunning() {
        return current().isPresent();
    }

    /**
     * The broker JVM's pid, if it runs.
     *
     * @return the pid, or empty
     */
    public OptionalLong pid() {
        return current().map(p -> OptionalLong.of(p.pid())).orElse(OptionalLong.empty());
    }

    /**
     * The pid of the broker running from {@code dataDir}, for a process that has no handle (a
     * {@code status} or {@code down} command).
     *
     * @param dataDir a broker's data directory
     * @return the pid, or empty if no broker runs from it
     */
    public static OptionalLong runningPid(Path dataDir) {
        return attach(dataDir.toAbsolutePath().normalize()).map(p -> OptionalLong.of(p.pid()))
                .orElse(OptionalLong.empty());
    }

    /**
     * The bootstrap servers for clients.
     *
     * @return {@code 127.0.0.1:<port>}
     */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /**
     * The client port.
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The KRaft controller port.
     *
     * @return the port
     */
    public int controllerPort() {
        return controllerPort;
    }

    /**
     * The data directory.
     *
     * @return the absolute data directory
     */
    public Path dataDir() {
        return dataDir;
    }

    /**
     * The tail of the broker JVM's output and of its log.
     *
     * @param lines how many lines of each at most
     * @return the text
     */
    public String logTail(int lines) {
        return "--- " + outFile() + ":\n" + ManagedProcess.tail(outFile(), lines) + "\n--- "
                + dataDir.resolve("broker.log") + ":\n" + ManagedProcess.tail(dataDir.resolve("broker.log"), lines);
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    /**
     * Registers a JVM shutdown hook that stops this broker (for test JVMs that start one per run).
     *
     * @return this
     */
    public KafkaBroker stopOnJvmExit() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                stop();
            } catch (RuntimeException e) {
                log.warn("Could not stop Kafka on {} at JVM exit: {}", bootstrapServers(), e.getMessage());
            }
        }, "stop-kafka-" + port));
        return this;
    }

    @Override
    public String toString() {
        return "KafkaBroker[" + bootstrapServers() + ", " + dataDir + "]";
    }

    /**
     * Finds the broker classpath file: the system property {@value #CLASSPATH_FILE_PROPERTY} if set,
     * else {@value #CLASSPATH_FILE} in the working directory or the nearest ancestor that has one.
     *
     * @return the file
     * @throws IllegalStateException if there is none (the {@code kafka-broker} module was not built)
     */
    public static Path findClasspathFile() {
        String property = System.getProperty(CLASSPATH_FILE_PROPERTY);
        if (property != null && !property.isBlank()) {
            Path file = Path.of(property);
            if (!Files.isRegularFile(file)) {
                throw new IllegalStateException("-D" + CLASSPATH_FILE_PROPERTY + "=" + property + " is not a file");
            }
            return file;
        }
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(CLASSPATH_FILE);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("No " + CLASSPATH_FILE + " in " + start + " or its parents: build the"
                + " kafka-broker module first (./mvnw -pl kafka-broker generate-resources) or set -D"
                + CLASSPATH_FILE_PROPERTY);
    }

    private Optional<ManagedProcess> current() {
        ManagedProcess p = process;
        if (p != null && p.isAlive()) {
            return Optional.of(p);
        }
        return attach(dataDir);
    }

    private static Optional<ManagedProcess> attach(Path dataDir) {
        return ManagedProcess.attach(NAME, dataDir.resolve(PID_FILE))
                .filter(p -> Processes.commandLine(p.pid())
                        .map(c -> c.contains(MAIN_CLASS)).orElse(false));
    }

    private void awaitReady(ManagedProcess broker, long t0) {
        long deadline = t0 + READY_TIMEOUT.toNanos();
        Waits.until("Kafka on " + bootstrapServers() + " to accept connections", remaining(deadline),
                Duration.ofMillis(50), () -> {
                    checkAlive(broker);
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                        return true;
                    } catch (IOException e) {
                        return false;
                    }
                }, () -> logTail(40));
        log.debug("Kafka on {} accepts connections after {} ms", bootstrapServers(), (System.nanoTime() - t0) / 1_000_000);
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        props.put(AdminClientConfig.CLIENT_ID_CONFIG, "meridian-stack-readiness");
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        props.put(AdminClientConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, "50");
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        try (Admin admin = Admin.create(props)) {
            String[] lastError = {"no attempt yet"};
            Waits.until("Kafka on " + bootstrapServers() + " to describe its cluster", remaining(deadline),
                    Duration.ofMillis(100), () -> {
                        checkAlive(broker);
                        try {
                            return !admin.describeCluster(new DescribeClusterOptions().timeoutMs(5000)).nodes()
                                    .get(6, TimeUnit.SECONDS).isEmpty();
                        } catch (ExecutionException | TimeoutException e) {
                            lastError[0] = String.valueOf(e.getCause() != null ? e.getCause() : e);
                            return false;
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("Interrupted while waiting for Kafka", e);
                        }
                    }, () -> "Last error: " + lastError[0] + "\n" + logTail(40));
        }
    }

    private void checkAlive(ManagedProcess broker) {
        if (!broker.isAlive()) {
            OptionalLong code = broker.exitCode();
            throw new IllegalStateException("Kafka broker JVM (pid " + broker.pid() + ") exited"
                    + (code.isPresent() ? " with code " + code.getAsLong() : "") + " while starting:\n" + logTail(40));
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    private void format(String classpath, String clusterId) throws IOException {
        long t0 = System.nanoTime();
        List<String> command = new ArrayList<>(jvmOptions(classpath, "256m"));
        sharedArchive(classpath).filter(Files::isRegularFile).ifPresent(a -> {
            command.add("-XX:SharedArchiveFile=" + a);
            command.add(QUIET_CDS);
        });
        command.add("-Dlog4j2.configurationFile=" + dataDir.resolve("log4j2.xml"));
        command.addAll(List.of("kafka.tools.StorageTool", "format", "--ignore-formatted", "-t", clusterId, "-c",
                dataDir.resolve("server.properties").toString()));
        Exec.Result result = Exec.run(command, Map.of(), dataDir, FORMAT_TIMEOUT);
        Files.writeString(outFile(), "=== kafka.tools.StorageTool format (exit " + result.exitCode() + ")\n"
                + result.output() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        if (!result.succeeded()) {
            throw new IllegalStateException("Formatting the Kafka storage in " + logDir() + " failed with exit code "
                    + result.exitCode() + ":\n" + result.output().strip());
        }
        log.debug("Formatted Kafka storage in {} ({} ms)", logDir(), (System.nanoTime() - t0) / 1_000_000);
    }

    private List<String> jvmOptions(String classpath, String maxHeap) {
        return List.of(Jdk.javaExecutable().toString(), "-Xms128m", "-Xmx" + maxHeap, "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError", "-Xshare:auto", "-Djava.awt.headless=true",
                "-Dmeridian.kafka.data-dir=" + dataDir, "-cp", classpath);
    }

    /**
     * Where the class-data-sharing archive for this JVM and classpath lives (whether or not it
     * exists yet); empty if the directory cannot be created.
     */
    private static Optional<Path> sharedArchive(String classpath) {
        String property = System.getProperty(CDS_DIR_PROPERTY);
        String user = System.getProperty("user.name", "unknown").replaceAll("[^A-Za-z0-9._-]", "_");
        Path dir = property != null && !property.isBlank() ? Path.of(property)
                : Path.of(System.getProperty("java.io.tmpdir"), "meridian-kafka-cds-" + user);
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            // a JVM loads classes from the archive: use only a directory nobody else can write to
            PosixFileAttributes attrs = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            UserPrincipal me = dir.getFileSystem().getUserPrincipalLookupService()
                    .lookupPrincipalByName(System.getProperty("user.name"));
            if (!attrs.owner().equals(me) || attrs.permissions().contains(PosixFilePermission.GROUP_WRITE)
                    || attrs.permissions().contains(PosixFilePermission.OTHERS_WRITE)) {
                log.debug("Not using {} for class-data-sharing archives: it is not private to {}", dir, me);
                return Optional.empty();
            }
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Path java = Jdk.javaExecutable();
            digest.update((java.toRealPath() + "\n" + Files.size(java.toRealPath()) + "\n"
                    + Files.getLastModifiedTime(java.toRealPath()) + "\n").getBytes(StandardCharsets.UTF_8));
            for (String entry : classpath.split(":")) {
                Path jar = Path.of(entry);
                digest.update((entry + "|" + (Files.exists(jar) ? Files.size(jar) + "|" + Files.getLastModifiedTime(jar)
                        : "missing") + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return Optional.of(dir.resolve("kafka-" + HexFormat.of().formatHex(digest.digest(), 0, 12) + ".jsa"));
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            log.debug("No class-data-sharing archive for the Kafka broker: {}", e.toString());
            return Optional.empty();
        }
    }

    /** Publishes the archive a cleanly stopped broker dumped at exit, unless one is there already. */
    private void publishClassArchive(boolean cleanExit) {
        Path dump = dataDir.resolve(CDS_DUMP);
        try {
            if (!Files.exists(dump)) {
                return;
            }
            Optional<Path> target = cleanExit ? sharedArchive(readClasspath(findClasspathFile())) : Optional.empty();
            if (target.isPresent() && !Files.exists(target.get()) && Files.size(dump) > 0) {
                try {
                    Files.move(dump, target.get(), StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) { // another file system: copy, then rename
                    Path tmp = target.get().resolveSibling(target.get().getFileName() + "."
                            + ProcessHandle.current().pid() + ".tmp");
                    Files.copy(dump, tmp, StandardCopyOption.REPLACE_EXISTING);
                    Files.move(tmp, target.get(), StandardCopyOption.ATOMIC_MOVE);
                }
                log.debug("Published the Kafka class-data-sharing archive {}", target.get());
            }
            Files.deleteIfExists(dump);
        } catch (IOException | RuntimeException e) {
            log.debug("Could not publish the Kafka class-data-sharing archive {}: {}", dump, e.toString());
        }
    }

    private String clusterId() throws IOException {
        Path file = dataDir.resolve("cluster.id");
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (!id.isEmpty()) {
                return id;
            }
        }
        String id = Uuid.randomUuid().toString();
        Files.writeString(file, id + "\n", StandardCharsets.UTF_8);
        return id;
    }

    private Path logDir() {
        return dataDir.resolve("kraft");
    }

    private Path outFile() {
        return dataDir.resolve("broker.out");
    }

    String serverProperties() {
        return """
                # Generated by Meridian (io.meridian.stack.kafka.KafkaBroker) on every start.
                process.roles=broker,controller
                node.id=1
                controller.quorum.voters=1@127.0.0.1:%2$d
                listeners=PLAINTEXT://127.0.0.1:%1$d,CONTROLLER://127.0.0.1:%2$d
                advertised.listeners=PLAINTEXT://127.0.0.1:%1$d
                listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
                controller.listener.names=CONTROLLER
                inter.broker.listener.name=PLAINTEXT
                log.dirs=%3$s
                num.partitions=3
                default.replication.factor=1
                min.insync.replicas=1
                offsets.topic.replication.factor=1
                offsets.topic.num.partitions=5
                transaction.state.log.replication.factor=1
                transaction.state.log.min.isr=1
                transaction.state.log.num.partitions=5
                share.coordinator.state.topic.replication.factor=1
                share.coordinator.state.topic.min.isr=1
                group.initial.rebalance.delay.ms=0
                group.coordinator.append.linger.ms=0
                auto.create.topics.enable=true
                delete.topic.enable=true
                """.formatted(port, controllerPort, logDir().toString().replace("\\", "\\\\"));
    }

    private String log4jConfig() {
        String file = xmlEscape(dataDir.resolve("broker.log").toString());
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Generated by Meridian (io.meridian.stack.kafka.KafkaBroker) on every start. -->
                <Configuration status="WARN">
                  <Appenders>
                    <File name="file" fileName="%s" append="true">
                      <PatternLayout pattern="%%d{ISO8601} %%-5p [%%t] %%c: %%m%%n"/>
                    </File>
                  </Appenders>
                  <Loggers>
                    <Root level="WARN">
                      <AppenderRef ref="file"/>
                    </Root>
                  </Loggers>
                </Configuration>
                """.formatted(file);
    }

    private static String readClasspath(Path file) {
        try {
            String classpath = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (classpath.isEmpty()) {
                throw new IllegalStateException(file + " is empty; rebuild the kafka-broker module");
            }
            return classpath;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the Kafka classpath from " + file, e);
        }
    }

    private static String xmlEscape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
