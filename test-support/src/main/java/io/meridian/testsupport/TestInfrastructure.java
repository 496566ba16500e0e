package io.meridian.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.test.context.DynamicPropertyRegistry;

import io.meridian.stack.Ports;
import io.meridian.stack.auth.DevTokens;
import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.stack.postgres.PostgresCluster;

/**
 * The real components a test JVM shares: one control-plane PostgreSQL cluster (database
 * {@code meridian}), one Kafka broker in its own JVM, and a dev token key pair. Started on first use
 * with the same classes the local stack uses, on free ports under a fresh directory, and stopped
 * when the JVM exits.
 */
public final class TestInfrastructure {

    private static final Logger log = LoggerFactory.getLogger(TestInfrastructure.class);
    private static volatile TestInfrastructure instance;

    private final Path root;
    private final PostgresCluster postgres;
    private final KafkaBroker kafka;
    private final DevTokens tokens;

    private TestInfrastructure(Path root, PostgresCluster postgres, KafkaBroker kafka, DevTokens tokens) {
        this.root = root;
        this.postgres = postgres;
        this.kafka = kafka;
        this.tokens = tokens;
    }

    /** The shared infrastructure, started on first call. */
    public static TestInfrastructure get() {
        TestInfrastructure current = instance;
        if (current == null) {
            synchronized (TestInfrastructure.class) {
                current = instance;
                if (current == null) {
                    try {
                        current = start();
                    } catch (RuntimeException e) {
                        // a port taken by another process between choosing it and binding it; every
                        // other failure repeats and is thrown by the second attempt
                        log.warn("Starting the test infrastructure failed; trying once more on other ports", e);
                        current = start();
                    }
                    instance = current;
                }
            }
        }
        return current;
    }

    private static TestInfrastructure start() {
        long began = System.nanoTime();
        Path root;
        try {
            root = Files.createTempDirectory(Path.of("/tmp"), "meridian-test-");
            // The PostgreSQL server may run as another user; it must be able to reach its directory.
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int[] ports = Ports.freePorts(3);
        PostgresCluster postgres = PostgresCluster.builder("control-plane", root.resolve("postgres"), ports[0]).build();
        KafkaBroker kafka = KafkaBroker.create(root.resolve("kafka"), ports[1], ports[2]);
        TestInfrastructure infrastructure = new TestInfrastructure(root, postgres, kafka, DevTokens.loadOrCreate(root.resolve("keys")));
        Runtime.getRuntime().addShutdownHook(new Thread(infrastructure::stop, "meridian-test-infrastructure-stop"));
        // Kafka starts beside PostgreSQL; its failure, if any, is kept to say why in the exception
        AtomicReference<RuntimeException> brokerFailure = new AtomicReference<>();
        Thread broker = Thread.ofPlatform().name("kafka-start").start(() -> {
            try {
                kafka.start();
            } catch (RuntimeException e) {
                brokerFailure.set(e);
            }
        });
        postgres.initIfNeeded().start();
        postgres.createDatabase("meridian");
        try {
            broker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting Kafka", e);
        }
        if (brokerFailure.get() != null || !kafka.isRunning()) {
            throw new IllegalStateException("Kafka did not start; see " + root.resolve("kafka"), brokerFailure.get());
        }
        log.info("Test infrastructure up in {} ms: PostgreSQL {} and Kafka {} under {}", (System.nanoTime() - began) / 1_000_000,
                postgres.jdbcUrl("meridian"), kafka.bootstrapServers(), root);
        return infrastructure;
    }

    private void stop() {
        try {
            kafka.stop();
        } catch (RuntimeException e) {
            log.warn("Stopping Kafka failed", e);
        }
        try {
            postgres.stop();
        } catch (RuntimeException e) {
            log.warn("Stopping PostgreSQL failed", e);
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.debug("Could not remove {}", root, e);
        }
    }

    /** Points a Spring Boot test at this infrastructure. */
    public static void register(DynamicPropertyRegistry registry) {
        TestInfrastructure infrastructure = get();
        registry.add("spring.datasource.url", () -> infrastructure.postgres.jdbcUrl("meridian"));
        registry.add("spring.datasource.username", infrastructure.postgres::user);
        registry.add("spring.kafka.bootstrap-servers", infrastructure.kafka::bootstrapServers);
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location",
                () -> "file:" + infrastructure.tokens.publicKeyFile());
    }

    public PostgresCluster postgres() {
        return postgres;
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    public DevTokens tokens() {
        return tokens;
    }

    /** A fresh directory under this infrastructure's root, traversable by the PostgreSQL user. */
    public Path newDirectory(String name) {
        try {
            Path dir = Files.createDirectories(root.resolve(name));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
