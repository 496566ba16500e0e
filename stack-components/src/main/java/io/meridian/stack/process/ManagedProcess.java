package io.meridian.stack.process;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.stack.Waits;

/**
 * A child process (usually a JVM) whose pid is recorded in a pid file so later invocations can
 * find it.
 *
 * <p>The pid file's first line is the pid alone (so {@code kill $(head -1 file)} works); the
 * following lines are {@code key=value} facts: {@code start-ticks} (the process start time from
 * {@code /proc/<pid>/stat}, which {@link #attach} compares so that a recycled pid is not mistaken
 * for the process), {@code name} and {@code log} (the file its stdout and stderr are appended to).
 *
 * <p>On Linux the process is started through {@code setsid}, in a session of its own, so that a
 * Ctrl-C in the terminal of the command that started it does not reach it: a CLI can start it and
 * exit, and a later invocation can {@link #attach} to it and {@link #stop} it.
 */
public final class ManagedProcess {

    private static final Logger log = LoggerFactory.getLogger(ManagedProcess.class);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final String name;
    private final long pid;
    private final @Nullable Process process;
    private final @Nullable Path pidFile;
    private final @Nullable Path logFile;

    private ManagedProcess(String name, long pid, @Nullable Process process, @Nullable Path pidFile,
            @Nullable Path logFile) {
        this.name = name;
        this.pid = pid;
        this.process = process;
        this.pidFile = pidFile;
        this.logFile = logFile;
    }

    /**
     * Starts a process with its stdout and stderr appended to {@code logFile} and its stdin from
     * {@code /dev/null}, and records its pid in {@code pidFile}.
     *
     * @param name a short name for messages, e.g. {@code kafka}
     * @param command the command and its arguments
     * @param env variables added to (or replacing those of) the current environment
     * @param workDir the working directory (created if missing)
     * @param logFile the output file (created if missing, appended to)
     * @param pidFile the pid file (created or replaced)
     * @return the started process
     * @throws IllegalStateException if {@code pidFile} names a process that still runs, or the start fails
     */
    public static ManagedProcess start(String name, List<String> command, Map<String, String> env, Path workDir,
            Path logFile, Path pidFile) {
        Objects.requireNonNull(name, "name");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("Empty command for " + name);
        }
        Optional<ManagedProcess> existing = attach(name, pidFile);
        if (existing.isPresent()) {
            throw new IllegalStateException(name + " already runs as pid " + existing.get().pid() + " (pid file "
                    + pidFile + "); stop it first");
        }
        List<String> fullCommand = new ArrayList<>(command.size() + 1);
        Path setsid = Processes.tool("setsid");
        if (setsid.isAbsolute()) {
            fullCommand.add(setsid.toString());
        }
        fullCommand.addAll(command);
        try {
            Files.createDirectories(workDir);
            createParent(logFile);
            createParent(pidFile);
            ProcessBuilder builder = new ProcessBuilder(fullCommand)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().putAll(env);
            Process process = builder.start();
            ManagedProcess managed = new ManagedProcess(name, process.pid(), process, pidFile, logFile);
            managed.writePidFile();
            log.debug("Started {} as pid {}: {}", name, process.pid(), fullCommand);
            return managed;
        } catch (IOException e) {
            throw new IllegalStateException("Could not start " + name + " (" + String.join(" ", command) + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * Finds the process recorded in {@code pidFile} if it still runs and is the same process (its
     * start time matches the recorded one, and it is not a zombie).
     *
     * @param name a short name for messages
     * @param pidFile the pid file written by {@link #start}
     * @return the process, or empty if the file is missing or stale
     */
    public static Optional<ManagedProcess> attach(String name, Path pidFile) {
        Optional<PidFile> recorded = PidFile.read(pidFile);
        if (recorded.isEmpty()) {
            return Optional.empty();
        }
        PidFile file = recorded.get();
        long pid = file.pid();
        if (!Processes.isAlive(pid) || Processes.commandLine(pid).isEmpty()) {
            return Optional.empty();
        }
        OptionalLong ticks = Processes.startTicks(pid);
        if (file.startTicks().isPresent() && ticks.isPresent() && file.startTicks().getAsLong() != ticks.getAsLong()) {
            log.debug("Pid file {} names pid {} but that pid now belongs to another process", pidFile, pid);
            return Optional.empty();
        }
        return Optional.of(new ManagedProcess(name, pid, null, pidFile, file.logFile()));
    }

    /**
     * The process id.
     *
     * @return the pid
     */
    public long pid() {
        return pid;
    }

    /**
     * The name given at start or attach.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * The file the process's output is appended to, if known.
     *
     * @return the log file
     */
    public Optional<Path> logFile() {
        return Optional.ofNullable(logFile);
    }

    /**
     * Whether the process still runs (a stopped process counts as running, a zombie does not).
     *
     * @return {@code true} while it runs
     */
    public boolean isAlive() {
        Process p = process;
        if (p != null) {
            return p.isAlive() && Processes.isAlive(pid);
        }
        return Processes.isAlive(pid);
    }

    /**
     * The exit code, for a process this JVM started and that has exited.
     *
     * @return the exit code, or empty while it runs or if it was attached
     */
    public OptionalLong exitCode() {
        Process p = process;
        return p != null && !p.isAlive() ? OptionalLong.of(p.exitValue()) : OptionalLong.empty();
    }

    /**
     * Gives the JDK a moment to collect the exit status of a process that is seen gone: the pid may be gone
     * before {@link Process} has reaped it, and the exit code would then be missing from the report.
     */
    private void awaitExitStatus() {
        Process p = process;
        if (p != null) {
            try {
                p.waitFor(2, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Stops the process: SIGTERM, then SIGKILL if it still runs after {@code grace}; removes the pid
     * file. Does nothing to a process that has already exited (but still removes the pid file).
     *
     * @param grace how long the process may take to shut down cleanly
     * @throws IllegalStateException if the process survives SIGKILL (it cannot be signalled)
     */
    public void stop(Duration grace) {
        terminate(grace);
    }

    /**
     * Like {@link #stop(Duration)}, and tells whether the process ended within {@code grace} of the
     * SIGTERM (so that what it writes at exit is complete).
     *
     * @param grace how long the process may take to shut down cleanly
     * @return {@code true} if it exited on SIGTERM (or had already exited), {@code false} if it had to be killed
     * @throws IllegalStateException if the process survives SIGKILL
     */
    public boolean terminate(Duration grace) {
        boolean clean = true;
        if (isAlive()) {
            ProcessHandle.of(pid).ifPresent(h -> {
                // a frozen process cannot act on SIGTERM
                Processes.signal("CONT", List.of(pid));
                h.destroy();
            });
            if (!awaitExit(grace)) {
                clean = false;
                log.warn("{} (pid {}) did not stop within {} ms of SIGTERM; sending SIGKILL", name, pid,
                        grace.toMillis());
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                if (!awaitExit(KILL_WAIT)) {
                    throw new IllegalStateException(name + " (pid " + pid + ") survived SIGKILL");
                }
            }
        }
        deletePidFile();
        return clean;
    }

    /**
     * Kills the process with SIGKILL now (for drills) and waits until it is gone; removes the pid file.
     *
     * @throws IllegalStateException if the process cannot be killed
     */
    public void kill() {
        if (isAlive()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            if (!awaitExit(KILL_WAIT)) {
                throw new IllegalStateException(name + " (pid " + pid + ") survived SIGKILL");
            }
        }
        deletePidFile();
    }

    /**
     * Sends a signal by name, e.g. {@code STOP} and {@code CONT} to freeze and thaw the process in
     * gray-failure drills.
     *
     * @param sig the signal name without {@code SIG}
     */
    public void signal(String sig) {
        Processes.signal(sig, List.of(pid));
    }

    /**
     * The last lines of the process's output file.
     *
     * @param lines how many lines at most
     * @return the lines joined with newlines; a placeholder if the file is unknown or unreadable
     */
    public String logTail(int lines) {
        Path file = logFile;
        return file == null ? "(no log file recorded for " + name + ")" : tail(file, lines);
    }

    /**
     * Waits until {@code GET url} answers with a 2xx status.
     *
     * @param url the URL to poll, e.g. a health endpoint
     * @param timeout how long to wait at most
     * @throws IllegalStateException if the process exits first or the deadline passes; the message
     *     carries the last outcome and the tail of the process's output
     */
    public void awaitHttpOk(URI url, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastOutcome = "no attempt yet";
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            while (true) {
                if (!isAlive()) {
                    awaitExitStatus();
                    OptionalLong code = exitCode();
                    throw new IllegalStateException(name + " (pid " + pid + ") exited"
                            + (code.isPresent() ? " with code " + code.getAsLong() : "") + " before " + url
                            + " answered 2xx; last outcome: " + lastOutcome + "; output tail:\n" + logTail(40));
                }
                try {
                    HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(2)).GET().build();
                    HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                    if (response.statusCode() / 100 == 2) {
                        return;
                    }
                    lastOutcome = "HTTP " + response.statusCode();
                } catch (IOException e) {
                    lastOutcome = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("Interrupted while waiting for " + url, e);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("Timed out after " + timeout.toMillis() + " ms waiting for " + url
                            + " (" + name + ", pid " + pid + ") to answer 2xx; last outcome: " + lastOutcome
                            + "; output tail:\n" + logTail(40));
                }
                Waits.pause(Duration.ofNanos(Math.min(left, Duration.ofMillis(100).toNanos())));
            }
        }
    }

    @Override
    public String toString() {
        return name + "(pid " + pid + ")";
    }

    /**
     * The last lines of a text file, reading at most its last 256 KiB.
     *
     * @param file the file
     * @param lines how many lines at most
     * @return the lines joined with newlines, or a placeholder if the file is missing or unreadable
     */
    public static String tail(Path file, int lines) {
        if (!Files.isRegularFile(file)) {
            return "(" + file + " does not exist)";
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long length = raf.length();
            int size = (int) Math.min(length, 256 * 1024);
            byte[] bytes = new byte[size];
            raf.seek(length - size);
            raf.readFully(bytes);
            List<String> all = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private boolean awaitExit(Duration timeout) {
        Process p = process;
        if (p != null) {
            try {
                p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + this + " to exit", e);
            }
            return !isAlive();
        }
        return Processes.awaitExit(pid, timeout);
    }

    private void writePidFile() throws IOException {
        Path file = Objects.requireNonNull(pidFile);
        Map<String, String> facts = new LinkedHashMap<>();
        Processes.startTicks(pid).ifPresent(t -> facts.put("start-ticks", Long.toString(t)));
        facts.put("name", name);
        if (logFile != null) {
            facts.put("log", logFile.toAbsolutePath().toString());
        }
        StringBuilder text = new StringBuilder().append(pid).append('\n');
        facts.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void deletePidFile() {
        Path file = pidFile;
        if (file == null) {
            return;
        }
        try {
            // only our own record: a newer process may have replaced the file meanwhile
            if (PidFile.read(file).map(f -> f.pid() == pid).orElse(false)) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Could not delete pid file " + file, e);
        }
    }

    private static void createParent(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
    }

    /** What a pid file records. */
    private record PidFile(long pid, OptionalLong startTicks, @Nullable Path logFile) {

        static Optional<PidFile> read(Path file) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid;
            try {
                pid = Long.parseLong(lines.get(0).strip());
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            OptionalLong ticks = OptionalLong.empty();
            @Nullable Path logFile = null;
            for (String line : lines.subList(1, lines.size())) {
                int eq = line.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = line.substring(0, eq).strip();
                String value = line.substring(eq + 1).strip();
                try {
                    switch (key) {
                        case "start-ticks" -> ticks = OptionalLong.of(Long.parseLong(value));
                        case "log" -> logFile = Path.of(value);
                        default -> {
                            // unknown facts are ignored
                        }
                    }
                } catch (RuntimeException e) {
                    // a malformed fact is ignored
                }
            }
            return Optional.of(new PidFile(pid, ticks, logFile));
        }
    }
}
