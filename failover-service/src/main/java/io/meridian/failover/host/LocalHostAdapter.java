package io.meridian.failover.host;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.failover.database.Lsn;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.stack.process.Exec;
import io.meridian.stack.process.Processes;

/**
 * The host adapter of the local stack and the tests: every member runs on this machine, its PostgreSQL found
 * through its data directory ({@code postmaster.pid}) and driven with {@link PostgresCluster} (as the
 * {@code postgres} user when this process is root). Fencing kills the postmaster with SIGKILL (a frozen one
 * too: SIGKILL needs no cooperation) and leaves a {@code standby.signal} in the data directory, so that whoever
 * restarts it gets a read-only server in recovery rather than a second primary.
 */
public final class LocalHostAdapter implements HostAdapter {

    private static final Logger log = LoggerFactory.getLogger(LocalHostAdapter.class);
    /**
     * pg_waldump ends at the end of valid WAL with "invalid record length at X" (a zeroed page after a crash), or, when
     * nothing was written after the start, with "could not find a valid record after X".
     */
    private static final Pattern WAL_END = Pattern.compile("(?:invalid record length at|could not find a valid record after) ([0-9A-F]+/[0-9A-F]+)");
    /** One record of pg_waldump's output: its total length and position. */
    private static final Pattern RECORD = Pattern.compile("len \\(rec/tot\\):\\s*[0-9]+/\\s*([0-9]+), tx:\\s*[0-9]+, lsn: ([0-9A-F]+/[0-9A-F]+)");

    private final Map<String, PostgresCluster> handles = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "local";
    }

    @Override
    public boolean manages(ClusterMember member) {
        return member.dataDir() != null && ("127.0.0.1".equals(member.host()) || "localhost".equals(member.host()));
    }

    @Override
    public String fence(ClusterMember member) {
        PostgresCluster cluster = handle(member);
        OptionalLong pid = cluster.pid();
        StringBuilder done = new StringBuilder();
        try {
            if (pid.isPresent()) {
                cluster.kill();
                done.append("killed postmaster ").append(pid.getAsLong()).append(" with SIGKILL");
            } else {
                done.append("no postmaster ran");
            }
            if (Files.exists(cluster.dataDir().resolve("PG_VERSION"))) {
                signal(cluster.dataDir(), "standby.signal");
                done.append("; standby.signal written (a restart comes back read-only)");
            }
        } catch (RuntimeException e) {
            throw new HostActionException("could not fence " + member.region() + " through its host: " + e.getMessage(), e);
        }
        log.info("Fenced {} through its host: {}", member.region(), done);
        return done.toString();
    }

    @Override
    public void stop(ClusterMember member) {
        try {
            handle(member).stop();
        } catch (RuntimeException e) {
            throw new HostActionException("could not stop " + member.region() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void startAsStandby(ClusterMember member) {
        PostgresCluster cluster = handle(member);
        try {
            signal(cluster.dataDir(), "standby.signal");
            cluster.start();
        } catch (RuntimeException e) {
            throw new HostActionException("could not start " + member.region() + " as a standby: " + e.getMessage(), e);
        }
    }

    @Override
    public void start(ClusterMember member) {
        try {
            handle(member).start();
        } catch (RuntimeException e) {
            throw new HostActionException("could not start " + member.region() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void reseed(ClusterMember member, ClusterMember primary) {
        PostgresCluster cluster = handle(member);
        try {
            if (cluster.isRunning()) {
                cluster.kill();
            }
            delete(cluster.dataDir());
            handles.remove(member.region().value());
            PostgresCluster standby = PostgresCluster.standbyOf(handle(primary), member.region().value(), cluster.dataDir(), member.port(),
                    member.slotName());
            handles.put(member.region().value(), standby);
            clearStaleSocketLock(standby);
            standby.start();
            log.info("Re-seeded {} as a standby of {} (slot {})", member.region(), primary.region(), member.slotName());
        } catch (RuntimeException e) {
            throw new HostActionException("could not re-seed " + member.region() + " from " + primary.region() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean isRunning(ClusterMember member) {
        return handle(member).isRunning();
    }

    @Override
    public void kill(ClusterMember member) {
        if (!handle(member).isRunning()) {
            throw new HostActionException("the database of " + member.region() + " does not run");
        }
        handle(member).kill();
    }

    @Override
    public void freeze(ClusterMember member) {
        if (!handle(member).isRunning()) {
            throw new HostActionException("the database of " + member.region() + " does not run");
        }
        handle(member).freeze();
    }

    @Override
    public void thaw(ClusterMember member) {
        handle(member).thaw();
    }

    @Override
    public void signalApp(ClusterMember member, String signal) {
        if (member.appHealthUrl() == null) {
            throw new HostActionException("the member of " + member.region() + " names no appHealthUrl");
        }
        java.net.URI url = java.net.URI.create(member.appHealthUrl());
        int port = url.getPort() > 0 ? url.getPort() : "https".equals(url.getScheme()) ? 443 : 80;
        long pid = listeningPid(port).orElseThrow(() -> new HostActionException("no local process listens on port " + port
                + " (the application of " + member.region() + ")"));
        if (pid == ProcessHandle.current().pid()) {
            throw new HostActionException("the application of " + member.region() + " runs inside failover-service itself");
        }
        Processes.signal(signal, List.of(pid));
    }

    /**
     * The pid listening on TCP {@code port}, from {@code /proc/net/tcp[6]} (the socket's inode) and the processes'
     * open files: what {@code ss -ltnp} does, without depending on it being installed.
     */
    static OptionalLong listeningPid(int port) {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : Files.readAllLines(Path.of(table)).stream().skip(1).toList()) {
                    String[] f = line.trim().split("\\s+");
                    // local_address is ADDR:PORT in hex, st 0A is LISTEN, the inode is field 9
                    if (f.length > 9 && "0A".equals(f[3]) && Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16) == port) {
                        inodes.add("socket:[" + f[9] + "]");
                    }
                }
            } catch (IOException | RuntimeException e) {
                log.debug("cannot read {}: {}", table, e.toString());
            }
        }
        if (inodes.isEmpty()) {
            return OptionalLong.empty();
        }
        try (Stream<Path> processes = Files.list(Path.of("/proc"))) {
            for (Path proc : processes.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
                    if (fds.anyMatch(fd -> {
                        try {
                            return inodes.contains(Files.readSymbolicLink(fd).toString());
                        } catch (IOException e) {
                            return false;
                        }
                    })) {
                        return OptionalLong.of(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to read
                }
            }
        } catch (IOException e) {
            log.debug("cannot list /proc: {}", e.toString());
        }
        return OptionalLong.empty();
    }

    @Override
    public java.util.Optional<WalTail> walTail(ClusterMember member, Lsn from) {
        if (!manages(member)) {
            return java.util.Optional.empty();
        }
        PostgresCluster cluster = handle(member);
        Path wal = cluster.dataDir().resolve("pg_wal");
        if (cluster.isRunning() || !Files.isDirectory(wal)) {
            return java.util.Optional.empty();
        }
        try (Stream<Path> files = Files.list(wal)) {
            // the newest timeline with a segment is the one the member wrote on last
            java.util.OptionalLong timeline = files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}"))
                    .mapToLong(n -> Long.parseLong(n.substring(0, 8), 16)).max();
            if (timeline.isEmpty()) {
                return java.util.Optional.empty();
            }
            Path tool = cluster.binDir().resolve("pg_waldump");
            List<String> command = List.of(tool.toString(), "-p", wal.toString(), "-t", Long.toString(timeline.getAsLong()), "-s",
                    from.toString());
            String output = Exec.run(command, Duration.ofSeconds(60)).output();
            Lsn last = null;
            Matcher end = WAL_END.matcher(output);
            while (end.find()) {
                last = Lsn.parse(end.group(1));
            }
            if (last == null) {
                // no clean end marker (the WAL runs to the end of a segment): the end of the last record read
                Matcher record = RECORD.matcher(output);
                while (record.find()) {
                    long total = Long.parseLong(record.group(1));
                    last = new Lsn((Lsn.parse(record.group(2)).value() + total + 7) & ~7L);
                }
            }
            if (last == null) {
                log.info("pg_waldump read no WAL of {} from {}: {}", member.region(), from, output.lines().reduce((a, b) -> b).orElse(""));
                return java.util.Optional.empty();
            }
            int commits = (int) output.lines().filter(l -> l.startsWith("rmgr: Transaction") && l.contains("desc: COMMIT")).count();
            return java.util.Optional.of(new WalTail(last, commits));
        } catch (IOException | RuntimeException e) {
            log.info("Could not read the WAL of {}: {}", member.region(), e.getMessage());
            return java.util.Optional.empty();
        }
    }

    private PostgresCluster handle(ClusterMember member) {
        if (!manages(member)) {
            throw new HostActionException("the local host adapter does not manage " + member.region()
                    + " (it needs a dataDir and a loopback JDBC URL)");
        }
        String dataDir = java.util.Objects.requireNonNull(member.dataDir());
        return handles.compute(member.region().value(), (region, existing) -> existing != null
                && existing.dataDir().equals(Path.of(dataDir)) && existing.port() == member.port() ? existing
                : PostgresCluster.builder(region, Path.of(dataDir), member.port()).build());
    }

    /**
     * A killed postmaster leaves its socket lock file ({@code .s.PGSQL.<port>.lock}) outside the data directory; until
     * its parent reaps it, it is a zombie whose pid still exists, and a new postmaster refuses that lock. With the data
     * directory replaced, {@link PostgresCluster#start()} has no {@code postmaster.pid} to notice the crash by, so the
     * lock is dropped here when the process it names is gone (a zombie counts as gone).
     */
    private static void clearStaleSocketLock(PostgresCluster cluster) {
        Path lock = cluster.socketDir().resolve(".s.PGSQL." + cluster.port() + ".lock");
        try {
            if (!Files.exists(lock)) {
                return;
            }
            String first = Files.readAllLines(lock).stream().findFirst().orElse("").strip();
            if (!first.matches("[0-9]+") || !Processes.isAlive(Long.parseLong(first))) {
                Files.deleteIfExists(lock);
                Files.deleteIfExists(cluster.socketDir().resolve(".s.PGSQL." + cluster.port()));
                log.info("Removed the stale socket lock of {} (its postmaster {} is gone)", cluster.name(), first);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not clear " + lock, e);
        }
    }

    private static void signal(Path dataDir, String name) {
        Path file = dataDir.resolve(name);
        try {
            try {
                Files.createFile(file);
            } catch (FileAlreadyExistsException e) {
                return;
            }
            UserPrincipal owner = Files.getOwner(dataDir);
            Files.setOwner(file, owner);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove " + dir, e);
        }
    }
}
