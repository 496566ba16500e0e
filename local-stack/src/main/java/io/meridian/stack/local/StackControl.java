package io.meridian.stack.local;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.stack.process.ManagedProcess;
import io.meridian.stack.process.Processes;

/**
 * {@code status} and {@code down}, working from {@code stack.json} in any shell, also after the
 * launcher died.
 */
public final class StackControl {

    /** Exit code of {@code status} when something is not up. */
    public static final int NOT_ALL_UP = 3;

    /** Long enough for services that write their startup caches as they exit. */
    private static final Duration LAUNCHER_STOP_TIMEOUT = Duration.ofSeconds(240);
    private static final Duration CHILD_STOP_GRACE = Duration.ofSeconds(20);

    private final StackHome home;
    private final PrintStream out;

    /** Controls the stack recorded in {@code home}. */
    public StackControl(StackHome home, PrintStream out) {
        this.home = home;
        this.out = out;
    }

    /** Whether the launcher that wrote {@code state} still runs (and is a launcher, not a reused pid). */
    static boolean launcherAlive(StackState state) {
        return state.launcherPid() != ProcessHandle.current().pid() && StackUp.isLauncher(state.launcherPid());
    }

    /**
     * Prints each recorded component with its live pid and whether it answers.
     *
     * @return 0 if every component is up, {@value #NOT_ALL_UP} otherwise (also when nothing is recorded)
     */
    public int status() {
        Optional<StackState> recorded = StackState.read(home.stateFile());
        if (recorded.isEmpty()) {
            out.println("The Meridian local stack is not running (no " + StackUp.display(home.stateFile()) + ").");
            return NOT_ALL_UP;
        }
        StackState state = recorded.get();
        ComponentProbe probe = new ComponentProbe();
        List<StackState.Entry> entries = new ArrayList<>(state.components());
        entries.sort(StackUp.DISPLAY_ORDER);
        List<ComponentProbe.Result> results;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<ComponentProbe.Result>> checks = entries.stream()
                    .map(e -> CompletableFuture.supplyAsync(() -> probe.check(e), pool)).toList();
            results = checks.stream().map(CompletableFuture::join).toList();
        }
        boolean launcher = launcherAlive(state);
        out.printf(Locale.ROOT, "Meridian local stack in %s: launcher pid %d %s, started %s%s%n", StackUp.display(home.dataDir()),
                state.launcherPid(), launcher ? "running" : "GONE", state.startedAt(),
                state.readyAfterMillis() == null ? ", still starting"
                        : String.format(Locale.ROOT, ", all ready %.1f s after the command", state.readyAfterMillis() / 1000.0));
        out.println();
        Table table = new Table("COMPONENT", "REGION", "URL / PORT", "PID", "STATUS");
        int up = 0;
        for (int i = 0; i < entries.size(); i++) {
            StackState.Entry e = entries.get(i);
            ComponentProbe.Result r = results.get(i);
            up += r.up() ? 1 : 0;
            table.row(e.name(), e.region() == null ? "-" : e.region(), e.endpoint(), r.pid() > 0 ? Long.toString(r.pid()) : "-",
                    r.status() + (r.up() && e.note() != null ? "  " + e.note() : ""));
        }
        table.print(out);
        out.println();
        boolean allUp = up == entries.size() && launcher && state.readyAfterMillis() != null;
        out.println(allUp ? "All " + up + " components are up."
                : up + " of " + entries.size() + " components are up" + (launcher ? "" : "; the launcher is gone (./stack down cleans up)") + ".");
        return allUp ? 0 : NOT_ALL_UP;
    }

    /**
     * Stops the recorded stack: asks its launcher to stop everything (SIGTERM, which runs its
     * shutdown hook), then stops whatever is still alive itself, last started first: child JVMs with
     * SIGTERM then SIGKILL, PostgreSQL with {@code pg_ctl stop -m fast}.
     *
     * @return 0 when nothing recorded runs any more, 1 otherwise
     */
    public int down() {
        Optional<StackState> recorded = StackState.read(home.stateFile());
        if (recorded.isEmpty()) {
            out.println("Nothing to stop: no stack recorded in " + StackUp.display(home.stateFile()) + ".");
            return 0;
        }
        StackState state = recorded.get();
        if (launcherAlive(state)) {
            out.println("Asking the launcher (pid " + state.launcherPid() + ") to stop everything it started ...");
            Processes.signal("TERM", List.of(state.launcherPid()));
            if (!Processes.awaitExit(state.launcherPid(), LAUNCHER_STOP_TIMEOUT)) {
                out.println("The launcher did not exit within " + LAUNCHER_STOP_TIMEOUT.toSeconds() + " s; killing it");
                Processes.signal("KILL", List.of(state.launcherPid()));
                Processes.awaitExit(state.launcherPid(), Duration.ofSeconds(10));
            }
        }
        List<StackState.Entry> entries = new ArrayList<>(state.components());
        entries.sort(Comparator.comparingInt(StackState.Entry::tier).reversed());
        List<String> survivors = new ArrayList<>();
        for (StackState.Entry entry : entries) {
            if (ComponentProbe.livePid(entry) <= 0) {
                continue;
            }
            try {
                stop(entry);
                out.println("  stopped " + entry.name());
            } catch (RuntimeException e) {
                survivors.add(entry.name());
                out.println("  could not stop " + entry.name() + ": " + e.getMessage());
            }
        }
        if (!survivors.isEmpty()) {
            out.println("Still running: " + String.join(", ", survivors));
            return 1;
        }
        try {
            Files.deleteIfExists(home.stateFile());
        } catch (IOException e) {
            out.println("cannot delete " + home.stateFile() + ": " + e.getMessage());
        }
        out.println("The Meridian local stack is stopped (data kept in " + StackUp.display(home.dataDir()) + ").");
        return 0;
    }

    private static void stop(StackState.Entry entry) {
        switch (entry.kind()) {
            case POSTGRES -> {
                Path dataDir = Path.of(java.util.Objects.requireNonNull(entry.dataDir()));
                StackUp.stopCluster(PostgresCluster.builder(dataDir.getFileName().toString(), dataDir, entry.port()).build());
            }
            case S3, KUBERNETES -> {
                if (Processes.isAlive(entry.pid()) && entry.pid() != ProcessHandle.current().pid()) {
                    throw new IllegalStateException("it runs inside launcher pid " + entry.pid() + ", which did not stop");
                }
            }
            default -> {
                if (entry.pidFile() == null) {
                    throw new IllegalStateException("no pid file recorded");
                }
                Optional<ManagedProcess> process = ManagedProcess.attach(entry.name(), Path.of(entry.pidFile()));
                if (process.isPresent()) {
                    boolean service = entry.kind() == StackState.Kind.SERVICE || entry.kind() == StackState.Kind.GATEWAY;
                    process.get().stop(service ? StackUp.CACHE_STOP_GRACE : CHILD_STOP_GRACE);
                } else if (Processes.isAlive(entry.pid())) {
                    throw new IllegalStateException("pid " + entry.pid() + " runs but its pid file " + entry.pidFile()
                            + " does not match it; not touching it");
                }
            }
        }
    }
}
