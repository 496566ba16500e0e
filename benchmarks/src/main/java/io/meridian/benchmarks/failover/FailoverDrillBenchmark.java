package io.meridian.benchmarks.failover;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.meridian.benchmarks.ControlApi;
import io.meridian.stack.Ports;
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.stack.postgres.PostgresCluster;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Failover drills against real PostgreSQL streaming replication, measured from the client side the way
 * {@code ../shared/anchors/patroni-failover.sh} measures Patroni.
 *
 * <p>It starts on loopback a control-plane PostgreSQL, a Kafka broker, a primary/standby pair and <b>two</b>
 * failover-service instances (from {@code failover-service/target/failover-service-*.jar}, with the service's
 * shipped thresholds), each probing the pair and publishing its observations: the two instances are the quorum's
 * two observers, one of them holds the executor lease. A client writes one INSERT every 20 ms into the primary
 * the control plane names (after an error it asks {@code GET /api/v1/failover/clusters/{name}} again, at most
 * every 100 ms, retrying the last answer every 20 ms in between) and keeps a ledger of every acknowledged write.
 * Each drill starts after a CHECKPOINT and a random pause within one probe interval, kills the primary's
 * postmaster with SIGKILL through {@code POST /api/v1/failover/drills}, and measures:
 * <ul>
 * <li>detect: kill to the quorum's decision (from the operation's history);</li>
 * <li>RTO: kill to the first acknowledged INSERT (necessarily over a connection opened after the kill);</li>
 * <li>lost: acknowledged INSERTs missing on the new primary;</li>
 * <li>fenced-acked: INSERTs the old primary acknowledged after it was fenced.</li>
 * </ul>
 * The old primary then rejoins ({@code POST /rejoin}, a fresh base backup) before the next drill. After the drills,
 * planned switchovers under the same load measure the client-side write pause (the longest gap between two
 * acknowledged writes) and the loss (must be 0).
 *
 * <p>Run from the repository root (docs/benchmarks.md, "Failover"):
 * <pre>
 * ./mvnw -B -q -pl failover-service -am package -DskipTests
 * ./mvnw -B -q -pl benchmarks -am process-classes -Dbench -Dbenchmark.main=io.meridian.benchmarks.failover.FailoverDrillBenchmark
 * </pre>
 * Environment: {@code FAILOVER_DRILLS} (20), {@code FAILOVER_MODES} ({@code async,sync}), {@code FAILOVER_SWITCHOVERS} (5),
 * {@code FAILOVER_RESULTS} (where the TSV and the writes logs go; default under the scratch directory),
 * {@code FAILOVER_SERVICE_ARGS} (extra {@code --key=value} arguments for both instances, e.g. other thresholds).
 */
public final class FailoverDrillBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);

    private final int drills = env("FAILOVER_DRILLS", 20);
    private final int switchovers = env("FAILOVER_SWITCHOVERS", 5);
    private final List<String> modes = List.of(System.getenv().getOrDefault("FAILOVER_MODES", "async,sync").split(","));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Process> services = new ArrayList<>();
    private final List<PostgresCluster> clusters = new ArrayList<>();
    private final PrintStream out = System.out;
    private Path root;
    private Path results;
    private KafkaBroker kafka;
    private String admin;
    private URI serviceA;

    public static void main(String[] args) throws Exception {
        new FailoverDrillBenchmark().run();
    }

    private void run() throws Exception {
        Path jar = findJar();
        root = Files.createTempDirectory(Path.of("/tmp"), "meridian-bench-failover-");
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        results = Path.of(System.getenv().getOrDefault("FAILOVER_RESULTS", root.resolve("results").toString()));
        Files.createDirectories(results);
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "bench-stop"));
        log("scratch " + root + ", results " + results);
        try {
            PostgresCluster controlPlane = PostgresCluster.builder("control-plane", root.resolve("control-plane"), Ports.freePort()).build()
                    .initIfNeeded().start();
            clusters.add(controlPlane);
            controlPlane.createDatabase("meridian");
            kafka = KafkaBroker.create(root.resolve("kafka"), Ports.freePort(), Ports.freePort()).start();
            DevTokens tokens = DevTokens.loadOrCreate(root.resolve("keys"));
            admin = tokens.mint("benchmark", Duration.ofHours(6), "admin");
            int portA = Ports.freePort();
            int portB = Ports.freePort();
            startService(jar, "a", portA, controlPlane, tokens);
            startService(jar, "b", portB, controlPlane, tokens);
            serviceA = URI.create("http://127.0.0.1:" + portA);
            URI serviceB = URI.create("http://127.0.0.1:" + portB);
            await("both failover-service instances ready", Duration.ofMinutes(4),
                    () -> ready(serviceA) && ready(serviceB));
            log("failover-service instances a (:" + portA + ") and b (:" + portB + ") ready");
            List<String> summary = new ArrayList<>();
            int index = 0;
            for (String mode : modes) {
                summary.add(runMode(mode.strip(), index++));
            }
            out.println();
            summary.forEach(out::println);
        } finally {
            stopAll();
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private record Drill(String mode, int n, String from, String to, double detectS, double promotedS, double rtoS, double serviceRtoS,
            long lost, long acked, long fencedAcked, long rpoBytes, long walLostBytes, long lostCommits, String load, String state) {
    }

    private record Switch(String mode, int n, String from, String to, long clientPauseMs, long servicePauseMs, long lost, long acked,
            String state) {
    }

    private String runMode(String mode, int index) throws Exception {
        boolean sync = mode.equals("sync");
        String east = index == 0 ? "us-east-1" : "us-east-" + (index + 1);
        String west = index == 0 ? "us-west-2" : "us-west-" + (index + 2);
        String name = "bench-" + mode;
        Path dir = root.resolve(mode);
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        PostgresCluster.Builder primaryBuilder = PostgresCluster.builder(east, dir.resolve(east), Ports.freePort())
                .setting("wal_sender_timeout", "5s").setting("wal_receiver_status_interval", "1s");
        PostgresCluster primary = primaryBuilder.build().initIfNeeded().start();
        clusters.add(primary);
        primary.createDatabase("app");
        sql(primary, "CREATE TABLE IF NOT EXISTS ledger (seq bigint PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp())");
        PostgresCluster standby = PostgresCluster.standbyOf(primary, west, dir.resolve(west), Ports.freePort(), west.replace('-', '_')).start();
        clusters.add(standby);
        if (sync) {
            // only once a standby streams: with no standby a synchronous commit waits forever
            await("the standby to stream", STEP_TIMEOUT, () -> streaming(primary));
            sql(primary, "ALTER SYSTEM SET synchronous_standby_names = '*'");
            sql(primary, "SELECT pg_reload_conf()");
        }
        String body = """
                {"name":"%s","synchronous":%s,"members":[
                 {"region":"%s","zone":"US","jdbcUrl":"%s","role":"PRIMARY","dataDir":"%s"},
                 {"region":"%s","zone":"US","jdbcUrl":"%s","role":"STANDBY","dataDir":"%s"}]}
                """.formatted(name, sync, east, primary.jdbcUrl("app"), primary.dataDir(), west, standby.jdbcUrl("app"), standby.dataDir());
        HttpResponse<String> registered = send("POST", "/api/v1/failover/clusters", body);
        if (registered.statusCode() != 201) {
            throw new IllegalStateException("registering " + name + ": " + registered.statusCode() + " " + registered.body());
        }
        log(mode + ": cluster " + name + " = " + east + " (primary) + " + west + " (standby)" + (sync ? ", synchronous" : ""));
        Path drillsFile = results.resolve(mode + "-drills.tsv");
        Files.writeString(drillsFile, "mode\tdrill\tfrom\tto\tdetect_s\tpromoted_s\tRTO_s\tservice_RTO_s\tlost\tacked\tfenced_acked\t"
                + "rpo_bytes_probed\trpo_bytes_wal\tlost_commits_wal\tload1\tstate\n");
        List<Drill> done = new ArrayList<>();
        List<Switch> switched = new ArrayList<>();
        try (Ledger ledger = new Ledger(name)) {
            for (int i = 1; i <= drills; i++) {
                Drill drill = drill(mode, name, i, ledger);
                done.add(drill);
                Files.writeString(drillsFile, String.join("\t", drill.mode(), Integer.toString(drill.n()), drill.from(), drill.to(),
                        f(drill.detectS()), f(drill.promotedS()), f(drill.rtoS()), f(drill.serviceRtoS()), Long.toString(drill.lost()),
                        Long.toString(drill.acked()), Long.toString(drill.fencedAcked()), Long.toString(drill.rpoBytes()),
                        Long.toString(drill.walLostBytes()), Long.toString(drill.lostCommits()), drill.load(), drill.state()) + "\n",
                        java.nio.file.StandardOpenOption.APPEND);
                out.printf(Locale.ROOT, "%-5s drill %2d  %s -> %s  detect %.3f s  promoted %.3f s  RTO %.3f s (service %.3f s)  lost %d/%d  "
                                + "fenced-acked %d  rpo probed %d B, from its WAL %d B / %d commits  load1 %s  %s%n",
                        mode, i, drill.from(), drill.to(), drill.detectS(), drill.promotedS(), drill.rtoS(), drill.serviceRtoS(), drill.lost(),
                        drill.acked(), drill.fencedAcked(), drill.rpoBytes(), drill.walLostBytes(), drill.lostCommits(), drill.load(), drill.state());
            }
            for (int i = 1; i <= switchovers; i++) {
                Switch s = switchover(mode, name, i, ledger);
                switched.add(s);
                out.printf(Locale.ROOT, "%-5s switchover %d  %s -> %s  client write pause %d ms  (service %d ms)  lost %d/%d  %s%n", mode, i,
                        s.from(), s.to(), s.clientPauseMs(), s.servicePauseMs(), s.lost(), s.acked(), s.state());
            }
            ledger.dump(results.resolve(mode + "-writes.log"));
        }
        List<Double> detect = done.stream().map(Drill::detectS).toList();
        List<Double> rto = done.stream().map(Drill::rtoS).toList();
        long lost = done.stream().mapToLong(Drill::lost).sum();
        long fenced = done.stream().mapToLong(Drill::fencedAcked).sum();
        List<Double> pauses = switched.stream().map(s -> s.clientPauseMs() / 1000.0).toList();
        long completed = done.stream().filter(d -> d.state().equals("COMPLETED")).count();
        String line = String.format(Locale.ROOT, "meridian %s: %d/%d drills completed; detect p50=%.3f p99=%.3f max=%.3f s; RTO p50=%.3f p99=%.3f max=%.3f s; "
                        + "lost %d acked writes in all; %d writes acked by a fenced primary; switchover write pause p50=%.3f max=%.3f s (%d runs, lost %d)",
                mode, completed, done.size(), pct(detect, 50), pct(detect, 99), pct(detect, 100), pct(rto, 50), pct(rto, 99), pct(rto, 100), lost, fenced,
                pct(pauses, 50), pct(pauses, 100), switched.size(), switched.stream().mapToLong(Switch::lost).sum());
        Files.writeString(results.resolve(mode + "-summary.txt"), line + "\n");
        send("DELETE", "/api/v1/failover/clusters/" + name, null);
        primary.stop();
        standby.stop();
        return line;
    }

    private Drill drill(String mode, String cluster, int n, Ledger ledger) throws Exception {
        awaitHealthy(cluster);
        Map.Entry<String, String> primary = primaryOf(cluster);
        try (Connection c = connect(primary.getValue()); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        }
        LockSupport.parkNanos(Duration.ofMillis(ThreadLocalRandom.current().nextLong(0, 200)).toNanos()); // random phase against the probes
        String load = Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        Instant kill = Instant.now();
        HttpResponse<String> drill = send("POST", "/api/v1/failover/drills",
                "{\"region\":\"" + primary.getKey() + "\",\"action\":\"KILL\",\"reason\":\"benchmark drill " + n + "\"}");
        if (drill.statusCode() != 201) {
            throw new IllegalStateException("drill " + n + ": " + drill.statusCode() + " " + drill.body());
        }
        JsonNode op = awaitOperation(cluster, kill);
        String state = op.get("state").asString();
        String to = op.path("to").isNull() || op.path("to").isMissingNode() ? "-" : op.get("to").asString();
        Instant firstAck = null;
        if (state.equals("COMPLETED")) {
            await("a write acknowledged by the new primary", STEP_TIMEOUT, () -> ledger.firstAckAfter(kill, primary.getKey()) != null);
            firstAck = ledger.firstAckAfter(kill, primary.getKey());
        }
        JsonNode times = op.get("times");
        double detect = seconds(kill, instant(times.get("detectedAt")));
        double promoted = seconds(kill, instant(times.get("promotedAt")));
        double rto = firstAck == null ? Double.NaN : seconds(kill, firstAck);
        JsonNode measured = op.get("measured");
        double serviceRto = measured.path("rtoMillis").isNumber() ? measured.get("rtoMillis").asLong() / 1000.0 : Double.NaN;
        long rpo = measured.path("rpoBytes").isNumber() ? measured.get("rpoBytes").asLong() : -1;
        Instant fencedAt = instant(times.get("fencedAt"));
        long fencedAcked = fencedAt == null ? 0 : ledger.ackedOnAfter(primary.getKey(), fencedAt);
        long lost = -1;
        long acked = ledger.size();
        if (state.equals("COMPLETED")) {
            Instant readAt = Instant.now();
            Set<Long> present = ids(primaryOf(cluster).getValue());
            lost = ledger.newlyMissing(present, readAt);
        }
        // the old primary rejoins as a standby (fresh base backup) before the next drill
        HttpResponse<String> rejoin = send("POST", "/api/v1/failover/rejoin", "{\"region\":\"" + primary.getKey() + "\",\"reason\":\"benchmark\"}");
        if (rejoin.statusCode() != 202) {
            throw new IllegalStateException("rejoin after drill " + n + ": " + rejoin.statusCode() + " " + rejoin.body());
        }
        String rejoinId = JSON.readTree(rejoin.body()).get("id").asString();
        await("the rejoin of " + primary.getKey(), STEP_TIMEOUT, () -> terminal(operation(rejoinId)));
        // the rejoin read the fenced old primary's own WAL before re-seeding it: what the failover really lost
        JsonNode verified = operation(rejoinId).get("measured");
        long walLost = verified.path("rpoBytes").isNumber() ? verified.get("rpoBytes").asLong() : -1;
        long lostCommits = verified.path("lostCommits").isNumber() ? verified.get("lostCommits").asLong() : -1;
        return new Drill(mode, n, primary.getKey(), to, detect, promoted, rto, serviceRto, lost, acked, fencedAcked, rpo, walLost, lostCommits,
                load, state);
    }

    private Switch switchover(String mode, String cluster, int n, Ledger ledger) throws Exception {
        awaitHealthy(cluster);
        Map.Entry<String, String> primary = primaryOf(cluster);
        String target = standbyOf(cluster);
        Instant start = Instant.now();
        HttpResponse<String> accepted = send("POST", "/api/v1/failover/switchover",
                "{\"target\":\"" + target + "\",\"reason\":\"benchmark switchover " + n + "\"}");
        if (accepted.statusCode() != 202) {
            throw new IllegalStateException("switchover " + n + ": " + accepted.statusCode() + " " + accepted.body());
        }
        String id = JSON.readTree(accepted.body()).get("id").asString();
        await("switchover " + id, STEP_TIMEOUT, () -> terminal(operation(id)));
        JsonNode op = operation(id);
        Instant end = Instant.now();
        await("a write acknowledged after the switchover", STEP_TIMEOUT, () -> ledger.firstAckAfter(end, null) != null);
        long pause = ledger.longestGapMillis(start, ledger.firstAckAfter(end, null));
        long servicePause = op.get("measured").path("writePauseMillis").isNumber() ? op.get("measured").get("writePauseMillis").asLong() : -1;
        Instant readAt = Instant.now();
        long lost = ledger.newlyMissing(ids(primaryOf(cluster).getValue()), readAt);
        return new Switch(mode, n, primary.getKey(), target, pause, servicePause, lost, ledger.size(), op.get("state").asString());
    }

    // ---------------------------------------------------------------------------------------------------------

    /** The client: one INSERT every 20 ms into the primary the control plane names, with a ledger of acknowledgements. */
    private final class Ledger implements AutoCloseable {

        private record Ack(long seq, String member, Instant startedAt, Instant ackedAt) {
        }

        private final String cluster;
        private final List<Ack> acks = java.util.Collections.synchronizedList(new ArrayList<>());
        private final Thread thread;
        private volatile boolean running = true;

        Ledger(String cluster) {
            this.cluster = cluster;
            this.thread = Thread.ofPlatform().name("ledger-writer").start(this::loop);
        }

        private void loop() {
            long seq = 0;
            Connection connection = null;
            Map.Entry<String, String> target = null;
            long discoveredAt = 0;
            long next = System.nanoTime();
            while (running) {
                next += 20_000_000L;
                try {
                    if (connection == null) {
                        if (target == null || System.nanoTime() - discoveredAt >= 100_000_000L) {
                            try {
                                target = primaryOf(cluster);
                            } catch (RuntimeException e) {
                                // the control plane did not answer; retry the last answer
                            }
                            discoveredAt = System.nanoTime();
                        }
                        if (target != null) {
                            connection = connect(target.getValue());
                        }
                    }
                    if (connection != null) {
                        long s = ++seq;
                        Instant started = Instant.now();
                        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO ledger (seq) VALUES (?)")) {
                            insert.setLong(1, s);
                            insert.executeUpdate();
                        }
                        acks.add(new Ack(s, target.getKey(), started, Instant.now()));
                    }
                } catch (SQLException e) {
                    close(connection);
                    connection = null;
                }
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime();
                }
            }
            close(connection);
        }

        /** The first acknowledgement of a write started after {@code at}, by a member other than {@code except}. */
        Instant firstAckAfter(Instant at, String except) {
            synchronized (acks) {
                for (Ack a : acks) {
                    if (a.startedAt().isAfter(at) && !a.member().equals(except)) {
                        return a.ackedAt();
                    }
                }
            }
            return null;
        }

        long ackedOnAfter(String member, Instant at) {
            synchronized (acks) {
                return acks.stream().filter(a -> a.member().equals(member) && a.ackedAt().isAfter(at)).count();
            }
        }

        private long missingSoFar;

        /** Writes acknowledged before {@code readAt} that are not in {@code present}, less those reported missing before. */
        long newlyMissing(Set<Long> present, Instant readAt) {
            synchronized (acks) {
                long missing = acks.stream().filter(a -> a.ackedAt().isBefore(readAt) && !present.contains(a.seq())).count();
                long fresh = missing - missingSoFar;
                missingSoFar = missing;
                return fresh;
            }
        }

        long longestGapMillis(Instant from, Instant to) {
            synchronized (acks) {
                Instant previous = null;
                long longest = 0;
                for (Ack a : acks) {
                    if (a.ackedAt().isBefore(from)) {
                        previous = a.ackedAt();
                        continue;
                    }
                    if (a.ackedAt().isAfter(to)) {
                        break;
                    }
                    if (previous != null) {
                        longest = Math.max(longest, Duration.between(previous, a.ackedAt()).toMillis());
                    }
                    previous = a.ackedAt();
                }
                return longest;
            }
        }

        long size() {
            return acks.size();
        }

        void dump(Path file) throws IOException {
            StringBuilder text = new StringBuilder("seq\tmember\tstarted\tacked\n");
            synchronized (acks) {
                for (Ack a : acks) {
                    text.append(a.seq()).append('\t').append(a.member()).append('\t').append(a.startedAt()).append('\t').append(a.ackedAt()).append('\n');
                }
            }
            Files.writeString(file, text.toString());
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }

        private void close(Connection c) {
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // broken anyway
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private void startService(Path jar, String name, int port, PostgresCluster controlPlane, DevTokens tokens) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+UseSerialGC", "-Xss512k", "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError",
                "-jar", jar.toString(),
                "--server.port=" + port,
                "--spring.datasource.url=" + controlPlane.jdbcUrl("meridian"),
                "--spring.datasource.username=postgres",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + tokens.publicKeyFile(),
                "--meridian.failover.instance-id=failover-service@bench-" + name,
                "--logging.file.name=" + root.resolve("failover-service-" + name + ".json"),
                "--logging.structured.format.file=ecs"));
        String extra = System.getenv("FAILOVER_SERVICE_ARGS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.strip().split("\\s+")));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(root.resolve("failover-service-" + name + ".log").toFile()).start();
        services.add(process);
    }

    private boolean ready(URI base) {
        try {
            return http.send(HttpRequest.newBuilder(base.resolve("/actuator/health/readiness")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void awaitHealthy(String cluster) {
        await("cluster " + cluster + " healthy (both members up for both observers, standby streaming, no operation)", STEP_TIMEOUT, () -> {
            JsonNode status = JSON.readTree(send("GET", "/api/v1/failover/status", null).body());
            for (JsonNode c : status.get("clusters")) {
                if (!c.get("name").asString().equals(cluster)) {
                    continue;
                }
                if (!c.path("running").isNull() && !c.path("running").isMissingNode() || !"HEALTHY".equals(c.path("decision").path("code").asString())) {
                    return false;
                }
                for (JsonNode m : c.get("members")) {
                    if (!"UP".equals(m.path("probe").path("health").asString())) {
                        return false;
                    }
                    long healthyObservers = 0;
                    for (JsonNode v : m.get("observers")) {
                        if (v.get("fresh").asBoolean() && v.get("verdict").asString().equals("HEALTHY")) {
                            healthyObservers++;
                        }
                    }
                    if (healthyObservers < 2) {
                        return false;
                    }
                    if (m.get("role").asString().equals("STANDBY") && (m.path("lagBytes").isNull() || m.path("lagBytes").asLong() > 1 << 20)) {
                        return false;
                    }
                }
                return status.path("lease").path("current").asBoolean();
            }
            return false;
        });
    }

    private JsonNode awaitOperation(String cluster, Instant after) {
        JsonNode[] found = {null};
        await("a failover of " + cluster + " to end", STEP_TIMEOUT, () -> {
            JsonNode ops = JSON.readTree(send("GET", "/api/v1/failover/events?kind=FAILOVER&limit=1&cluster=" + cluster, null).body());
            if (ops.isEmpty()) {
                return false;
            }
            JsonNode op = ops.get(0);
            if (!instant(op.get("times").get("requestedAt")).isAfter(after) || !terminal(op)) {
                return false;
            }
            found[0] = op;
            return true;
        });
        return found[0];
    }

    private JsonNode operation(String id) {
        return JSON.readTree(send("GET", "/api/v1/failover/events/" + id, null).body());
    }

    private static boolean terminal(JsonNode op) {
        String state = op.path("state").asString();
        return state.equals("COMPLETED") || state.equals("HALTED") || state.equals("ROLLED_BACK");
    }

    private Map.Entry<String, String> primaryOf(String cluster) {
        JsonNode stored = JSON.readTree(send("GET", "/api/v1/failover/clusters/" + cluster, null).body());
        for (JsonNode m : stored.get("cluster").get("members")) {
            if (m.get("role").asString().equals("PRIMARY")) {
                return Map.entry(m.get("region").asString(), m.get("jdbcUrl").asString());
            }
        }
        throw new IllegalStateException("cluster " + cluster + " has no primary");
    }

    private String standbyOf(String cluster) {
        JsonNode stored = JSON.readTree(send("GET", "/api/v1/failover/clusters/" + cluster, null).body());
        for (JsonNode m : stored.get("cluster").get("members")) {
            if (m.get("role").asString().equals("STANDBY")) {
                return m.get("region").asString();
            }
        }
        throw new IllegalStateException("cluster " + cluster + " has no standby");
    }

    private HttpResponse<String> send(String method, String path, String body) {
        return ControlApi.send(http, serviceA, method, path, admin, "failover benchmark", body, Duration.ofSeconds(10));
    }

    private static Connection connect(String url) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("connectTimeout", "1");
        props.setProperty("socketTimeout", "2");
        return DriverManager.getConnection(url, props);
    }

    private static void sql(PostgresCluster pg, String statement) throws SQLException {
        try (Connection c = pg.connect("app"); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private static boolean streaming(PostgresCluster primary) {
        try (Connection c = primary.connect("postgres"); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")) {
            rs.next();
            return rs.getInt(1) > 0;
        } catch (SQLException e) {
            return false;
        }
    }

    private static Set<Long> ids(String url) throws SQLException {
        Set<Long> ids = new HashSet<>();
        try (Connection c = connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT seq FROM ledger")) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    private static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                + (last == null ? "" : " (last error: " + last.getMessage() + ")"));
    }

    private static Instant instant(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? null : Instant.parse(node.asString());
    }

    private static double seconds(Instant from, Instant to) {
        return to == null ? Double.NaN : Duration.between(from, to).toNanos() / 1e9;
    }

    private static double pct(List<Double> values, int percentile) {
        List<Double> sorted = values.stream().filter(v -> !v.isNaN()).sorted().toList();
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank)));
    }

    private static String f(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3f", value);
    }

    private static Path findJar() throws IOException {
        Path target = Path.of("failover-service", "target");
        if (Files.isDirectory(target)) {
            try (var files = Files.list(target)) {
                var jar = files.filter(p -> p.getFileName().toString().matches("failover-service-.*\\.jar")
                        && !p.getFileName().toString().endsWith("-plain.jar")).findFirst();
                if (jar.isPresent()) {
                    return jar.get().toAbsolutePath();
                }
            }
        }
        throw new IllegalStateException("no failover-service/target/failover-service-*.jar: run "
                + "./mvnw -B -q -pl failover-service -am package -DskipTests first (from the repository root)");
    }

    private void stopAll() {
        for (Process p : services) {
            p.destroy();
        }
        for (Process p : services) {
            try {
                if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        services.clear();
        for (PostgresCluster c : clusters) {
            try {
                c.thaw();
                c.stop();
            } catch (RuntimeException e) {
                // best effort
            }
        }
        clusters.clear();
        if (kafka != null) {
            try {
                kafka.stop();
            } catch (RuntimeException e) {
                // best effort
            }
            kafka = null;
        }
    }

    private static int env(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.strip());
    }

    private static void log(String message) {
        System.err.println("[" + DateTimeFormatter.ISO_LOCAL_TIME.format(java.time.LocalTime.now()) + "] " + message);
    }
}
