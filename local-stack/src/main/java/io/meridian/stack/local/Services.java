package io.meridian.stack.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The control-plane services and the gateway as the local stack runs them: one child JVM each from
 * {@code <module>/target/<module>-0.1.0-SNAPSHOT.jar}, configured entirely by command-line
 * arguments (what a real deployment sets through its own configuration instead).
 */
public enum Services {

    /** Region registry, placements, deployments, rollouts. */
    REGION("region-service", 18081),
    /** Routing policies, routing table, DNS. */
    ROUTING("routing-service", 18082),
    /** Replication links, change capture, conflicts, lag. */
    REPLICATION("replication-service", 18083),
    /** Health probing, failover, switchover, drills. */
    FAILOVER("failover-service", 18084),
    /** Backup policies, runs, restores. */
    BACKUP("backup-service", 18085),
    /** The front door: live traffic and the control APIs. */
    GATEWAY("gateway", 18080);

    /**
     * JVM options for a small resident set and a quick start on two cores: serial GC, small stacks
     * and heap, C1 only (the services carry control traffic, which is light).
     */
    static final List<String> SERVICE_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-Xss512k", "-Xms64m", "-Xmx256m",
            "-XX:MaxMetaspaceSize=192m", "-XX:ReservedCodeCacheSize=64m", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
            "-XX:+ExitOnOutOfMemoryError");
    /**
     * The gateway's options in the stack: the services' options. In production the gateway carries live traffic and
     * keeps the C2 compiler (its benchmarks in docs/benchmarks.md run it so); in the stack, where it carries a
     * developer's requests, C2 compiling the warm paths cost about 15 CPU-seconds of a start bound by two cores.
     */
    static final List<String> GATEWAY_JVM_OPTIONS = SERVICE_JVM_OPTIONS;

    private final String module;
    private final int port;

    Services(String module, int port) {
        this.module = module;
        this.port = port;
    }

    /** The feature version of the Java whose launcher is {@code java} ({@code <home>/bin/java}). */
    private static int featureVersionOf(Path java) {
        Path bin = java.toAbsolutePath().getParent();
        Path home = bin == null ? null : bin.getParent();
        return home == null ? Runtime.version().feature() : StartupCache.featureVersion(home);
    }

    /** The Maven module (and jar and component) name. */
    public String module() {
        return module;
    }

    /** The HTTP port. */
    public int port() {
        return port;
    }

    /** The short name used in the gateway's configuration ({@code region}, {@code routing}, ...). */
    public String shortName() {
        return this == GATEWAY ? "gateway" : module.substring(0, module.indexOf('-'));
    }

    /** The readiness URL (Spring Boot's readiness group). */
    public String readinessUrl() {
        return "http://127.0.0.1:" + port + "/actuator/health/readiness";
    }

    /** The service named {@code name}: its module name or short name, case-insensitive. */
    public static Optional<Services> named(String name) {
        String n = name.strip().toLowerCase(Locale.ROOT);
        for (Services s : values()) {
            if (s.module.equals(n) || s.shortName().equals(n)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /**
     * The command that runs this service.
     *
     * @param java          the java launcher
     * @param jar           the service jar
     * @param publicKeyPem  the PEM public key tokens are verified with
     * @param logFile       the structured (ECS) log file
     * @param controlPlane  the control-plane database JDBC URL
     * @param kafka         the Kafka bootstrap servers
     * @param cacheOptions  class-cache options ({@link StartupCache}); they replace {@code -Xshare:auto},
     *                      which the JVM refuses to combine with an AOT cache
     */
    public List<String> command(Path java, Path jar, Path publicKeyPem, Path logFile, String controlPlane, String kafka,
            List<String> cacheOptions) {
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        for (String option : this == GATEWAY ? GATEWAY_JVM_OPTIONS : SERVICE_JVM_OPTIONS) {
            if (!(option.equals("-Xshare:auto") && !cacheOptions.isEmpty())) {
                command.add(option);
            }
        }
        command.addAll(cacheOptions);
        if ((this == GATEWAY || this == REGION || this == BACKUP) && featureVersionOf(java) >= 23) {
            // their main turns Netty's sun.misc.Unsafe paths back on (NettyUnsafe); with this flag (Java 23+) the JVM allows that
            // without printing its deprecation warning into the service's log
            command.add("--sun-misc-unsafe-memory-access=allow");
        }
        if (this == BACKUP) {
            // restores hash parts in vector lanes (PartDigests), about four times cheaper per byte; without the module they
            // fall back to the JDK's SHA-256
            command.add("--add-modules");
            command.add("jdk.incubator.vector");
        }
        command.add("-jar");
        command.add(jar.toString());
        command.add("--server.port=" + port);
        if (this != GATEWAY) {
            command.add("--spring.datasource.url=" + controlPlane);
            command.add("--spring.datasource.username=postgres");
        }
        command.add("--spring.kafka.bootstrap-servers=" + kafka);
        command.add("--spring.security.oauth2.resourceserver.jwt.public-key-location=file:" + publicKeyPem);
        command.add("--logging.file.name=" + logFile);
        command.add("--logging.structured.format.file=ecs");
        if (this == GATEWAY) {
            for (Services s : values()) {
                if (s != GATEWAY) {
                    command.add("--meridian.gateway.services." + s.shortName() + "=http://127.0.0.1:" + s.port());
                }
            }
        }
        return command;
    }
}
