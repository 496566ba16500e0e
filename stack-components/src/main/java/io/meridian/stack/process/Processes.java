package io.meridian.stack.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

import io.meridian.stack.Waits;

/**
 * Operating-system process facts, read from {@code /proc} where the JDK's {@link ProcessHandle}
 * is not enough: a process that died but was not reaped by its parent (a zombie, common when the
 * parent is a container's pid 1) counts as alive for {@link ProcessHandle#isAlive()} but as dead here.
 */
public final class Processes {

    private static final Pattern SIGNAL = Pattern.compile("[A-Z][A-Z0-9+-]*|[0-9]{1,2}");
    private static final List<Path> TOOL_DIRS = List.of(Path.of("/usr/bin"), Path.of("/bin"), Path.of("/usr/sbin"),
            Path.of("/sbin"), Path.of("/usr/local/bin"), Path.of("/usr/local/sbin"));

    private Processes() {
    }

    /**
     * Tells whether the current process runs as root (uid 0).
     *
     * @return {@code true} for root
     */
    public static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return uid instanceof Integer i && i == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * Tells whether process {@code pid} exists and has not terminated (zombies count as terminated).
     *
     * @param pid the process id
     * @return {@code true} if it runs (or is stopped)
     */
    public static boolean isAlive(long pid) {
        if (pid <= 0) {
            return false;
        }
        Optional<Character> state = state(pid);
        if (state.isPresent()) {
            char s = state.get();
            return s != 'Z' && s != 'X' && s != 'x';
        }
        if (Files.isDirectory(Path.of("/proc/self"))) {
            return false; // /proc works but has no entry: gone
        }
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * The one-letter state of a process from {@code /proc/<pid>/stat}: {@code R} running, {@code S}
     * sleeping, {@code T} stopped, {@code Z} zombie...
     *
     * @param pid the process id
     * @return the state, empty if the process does not exist or {@code /proc} is unavailable
     */
    public static Optional<Character> state(long pid) {
        return statFields(pid).map(f -> f.get(0).charAt(0));
    }

    /**
     * The start time of a process in clock ticks since boot (field 22 of {@code /proc/<pid>/stat}),
     * which together with the pid identifies a process for the lifetime of the machine.
     *
     * @param pid the process id
     * @return the start ticks, empty if unknown
     */
    public static OptionalLong startTicks(long pid) {
        Optional<List<String>> fields = statFields(pid);
        if (fields.isEmpty() || fields.get().size() < 20) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(fields.get().get(19)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * The command line of a process, arguments separated by single spaces.
     *
     * @param pid the process id
     * @return the command line, empty if unreadable or empty (as for zombies and kernel threads)
     */
    public static Optional<String> commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String s = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (IOException | RuntimeException e) {
            return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine());
        }
    }

    /**
     * The current working directory of a process (readable for own processes, or any as root).
     *
     * @param pid the process id
     * @return the directory, empty if unreadable
     */
    public static Optional<Path> workingDirectory(long pid) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The live processes whose working directory is {@code dir} (PostgreSQL server processes run in
     * their data directory, so this finds them even after their postmaster died).
     *
     * @param dir a directory (compared by real path)
     * @return their pids
     */
    public static List<Long> withWorkingDirectory(Path dir) {
        Path target;
        try {
            target = dir.toRealPath();
        } catch (IOException e) {
            return List.of();
        }
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            entries.map(p -> p.getFileName().toString())
                    .filter(n -> !n.isEmpty() && n.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .filter(pid -> pid != ProcessHandle.current().pid())
                    .filter(pid -> workingDirectory(pid).map(target::equals).orElse(false))
                    .filter(Processes::isAlive)
                    .forEach(pids::add);
        } catch (IOException | RuntimeException e) {
            return pids;
        }
        return pids;
    }

    /**
     * Sends a signal with {@code kill -<signal> pid...}; processes that are already gone are ignored.
     *
     * @param signal the signal name without {@code SIG} ({@code STOP}, {@code CONT}, {@code TERM}, {@code KILL}) or number
     * @param pids the processes
     * @throws IllegalArgumentException for a malformed signal name
     * @throws IllegalStateException if {@code kill} fails for a live process
     */
    public static void signal(String signal, List<Long> pids) {
        if (!SIGNAL.matcher(signal).matches()) {
            throw new IllegalArgumentException("Not a signal name: " + signal);
        }
        List<Long> live = pids.stream().filter(Processes::isAlive).toList();
        if (live.isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>();
        command.add(tool("kill").toString());
        command.add("-" + signal);
        live.forEach(p -> command.add(Long.toString(p)));
        Exec.Result result = Exec.run(command, Duration.ofSeconds(10));
        if (!result.succeeded()) {
            // a process that exits between the liveness check and kill is fine; anything else is not
            List<String> errors = result.output().lines()
                    .filter(l -> !l.isBlank() && !l.contains("No such process")).toList();
            if (!errors.isEmpty() || result.output().isBlank()) {
                throw new IllegalStateException("kill -" + signal + " " + live + " failed (exit code "
                        + result.exitCode() + "): " + String.join("; ", errors));
            }
        }
    }

    /**
     * Waits until process {@code pid} is gone.
     *
     * @param pid the process id
     * @param timeout how long to wait at most
     * @return {@code true} if it is gone, {@code false} if it still lives at the deadline
     */
    public static boolean awaitExit(long pid, Duration timeout) {
        try {
            Waits.until("process " + pid + " to exit", timeout, Duration.ofMillis(20), () -> !isAlive(pid), () -> "");
            return true;
        } catch (IllegalStateException e) {
            if (Thread.currentThread().isInterrupted()) {
                throw e;
            }
            return false;
        }
    }

    /**
     * Finds an executable by name on {@code $PATH} or in the usual system directories (the JVM of a
     * root user started without a login shell may lack {@code /usr/sbin} on its path).
     *
     * @param name the executable's name, e.g. {@code runuser}
     * @return its absolute path, or the bare name if not found (the OS will then report the error)
     */
    public static Path tool(String name) {
        List<Path> dirs = new ArrayList<>();
        @Nullable String path = System.getenv("PATH");
        if (path != null) {
            for (String d : path.split(":")) {
                if (!d.isBlank()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        dirs.addAll(TOOL_DIRS);
        for (Path dir : dirs) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return Path.of(name);
    }

    private static Optional<List<String>> statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            if (close < 0 || close + 2 >= stat.length()) {
                return Optional.empty();
            }
            return Optional.of(List.of(stat.substring(close + 2).strip().split(" ")));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
