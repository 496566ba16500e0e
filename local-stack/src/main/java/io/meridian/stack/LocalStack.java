package io.meridian.stack;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

import org.jspecify.annotations.Nullable;
import org.slf4j.bridge.SLF4JBridgeHandler;

import io.meridian.common.jvm.NettyUnsafe;
import io.meridian.common.security.Roles;
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.local.Services;
import io.meridian.stack.local.StackControl;
import io.meridian.stack.local.StackHome;
import io.meridian.stack.local.StackPrepare;
import io.meridian.stack.local.StackUp;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The local stack's command line ({@code ./stack} runs it): {@code up} (the default) starts
 * everything in the foreground, {@code status} and {@code down} work from any shell,
 * {@code token} prints a fresh dev token.
 */
@Command(name = "stack", mixinStandardHelpOptions = true, version = "Meridian local stack 0.1.0",
        description = "Runs Meridian's multi-region stack on loopback: Kafka, PostgreSQL per region (with a streaming"
                + " standby), an S3 API, a simulated Kubernetes API per region, a sample app per region, the services"
                + " and the gateway.",
        subcommands = {LocalStack.Up.class, LocalStack.Prepare.class, LocalStack.Status.class, LocalStack.Down.class, LocalStack.Token.class})
public final class LocalStack implements Callable<Integer> {

    @Option(names = "--data-dir", scope = CommandLine.ScopeType.INHERIT,
            description = "Where the stack keeps its data (default: $MERIDIAN_HOME, else <repo>/.meridian).")
    @Nullable Path dataDir;

    @Option(names = "--without", scope = CommandLine.ScopeType.INHERIT, split = ",", paramLabel = "<service>",
            description = "Do not start this service (region, routing, replication, failover, backup, gateway, or the module name);"
                    + " repeatable. By default a missing service jar is an error.")
    List<String> without = new ArrayList<>();

    @Option(names = "--timeout", scope = CommandLine.ScopeType.INHERIT, defaultValue = "180",
            description = "Seconds each service may take to become ready (default ${DEFAULT-VALUE}).")
    int timeoutSeconds = 180;

    /** Creates the command. */
    public LocalStack() {
    }

    /** Without a subcommand: {@code up}. */
    @Override
    public Integer call() {
        return up(this);
    }

    /** Runs the command line; exits with its code unless the JVM is already shutting down. */
    public static void main(String[] args) {
        NettyUnsafe.keep(); // the Kubernetes mock servers are Vert.x on Netty
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        int code = new CommandLine(new LocalStack()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        if (code != 0 && code != 130) {
            System.exit(code);
        }
    }

    /** The services {@code --without} names, or null (after saying why) when one is unknown. */
    private static @Nullable Set<Services> without(LocalStack root) {
        Set<Services> without = EnumSet.noneOf(Services.class);
        for (String name : root.without) {
            var service = Services.named(name);
            if (service.isEmpty()) {
                System.err.println("unknown service '" + name + "' for --without; known: region, routing, replication,"
                        + " failover, backup, gateway");
                return null;
            }
            without.add(service.get());
        }
        return without;
    }

    private static int up(LocalStack root) {
        Set<Services> without = without(root);
        if (without == null) {
            return 2;
        }
        long t0 = commandStart();
        StackUp up = new StackUp(StackHome.resolve(root.dataDir), new StackUp.Options(without,
                Duration.ofSeconds(root.timeoutSeconds), t0), System.out);
        return up.run();
    }

    /** When the command began: {@code $MERIDIAN_STACK_T0_MS} (set by {@code ./stack}), else this JVM's start. */
    private static long commandStart() {
        String env = System.getenv("MERIDIAN_STACK_T0_MS");
        if (env != null && env.matches("[0-9]{10,}")) {
            return Long.parseLong(env);
        }
        return ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli)
                .orElse(System.currentTimeMillis());
    }

    /** {@code up}: start everything and stay in the foreground. */
    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start everything and stay in the foreground; Ctrl-C stops everything it started.")
    static final class Up implements Callable<Integer> {
        @ParentCommand
        @Nullable LocalStack parent;

        @Override
        public Integer call() {
            return up(java.util.Objects.requireNonNull(parent));
        }
    }

    /** {@code prepare}: the once-per-build part of the start, ahead of it. */
    @Command(name = "prepare", mixinStandardHelpOptions = true,
            description = "Extract each service jar into the data directory and train its startup cache (a run that stops"
                    + " once its context is refreshed), so that the next start does not; ./stack runs it after a build.")
    static final class Prepare implements Callable<Integer> {
        @ParentCommand
        @Nullable LocalStack parent;

        @Override
        public Integer call() {
            LocalStack root = java.util.Objects.requireNonNull(parent);
            Set<Services> without = without(root);
            return without == null ? 2 : StackPrepare.prepareAll(StackHome.resolve(root.dataDir), without, System.out);
        }
    }

    /** {@code status}: what runs, from {@code stack.json}. */
    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show each component, its pid and whether it answers; exit 0 if all are up, 3 otherwise.")
    static final class Status implements Callable<Integer> {
        @ParentCommand
        @Nullable LocalStack parent;

        @Override
        public Integer call() {
            return new StackControl(StackHome.resolve(java.util.Objects.requireNonNull(parent).dataDir), System.out).status();
        }
    }

    /** {@code down}: stop what {@code stack.json} records. */
    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop everything the recorded stack started, last started first; the data stays.")
    static final class Down implements Callable<Integer> {
        @ParentCommand
        @Nullable LocalStack parent;

        @Override
        public Integer call() {
            return new StackControl(StackHome.resolve(java.util.Objects.requireNonNull(parent).dataDir), System.out).down();
        }
    }

    /** {@code token <role>}: a fresh dev token on stdout. */
    @Command(name = "token", mixinStandardHelpOptions = true,
            description = "Print a fresh dev token (RS256, accepted by the local services) for a role.")
    static final class Token implements Callable<Integer> {
        @ParentCommand
        @Nullable LocalStack parent;

        @Parameters(index = "0", paramLabel = "<role>", description = "viewer, operator or admin")
        String role = Roles.VIEWER;

        @Option(names = "--ttl", defaultValue = "PT12H", description = "How long it is valid, ISO-8601 (default ${DEFAULT-VALUE}).")
        Duration ttl = StackUp.TOKEN_TTL;

        @Option(names = "--subject", description = "The token's subject (default dev-<role>).")
        @Nullable String subject;

        @Override
        public Integer call() {
            PrintStream out = System.out;
            if (!Roles.ALL.contains(role)) {
                System.err.println("unknown role '" + role + "'; roles: " + String.join(", ", Roles.ALL));
                return 2;
            }
            StackHome home = StackHome.resolve(java.util.Objects.requireNonNull(parent).dataDir);
            DevTokens tokens = DevTokens.loadOrCreate(home.keys());
            out.println(tokens.mint(subject == null ? "dev-" + role : subject, ttl, Roles.implied(role).toArray(String[]::new)));
            return 0;
        }
    }
}
