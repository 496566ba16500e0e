package io.meridian.stack.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a stack started, persisted as {@code <data>/stack.json} while it starts and runs, so that
 * {@code status} and {@code down} work from another shell and after the launcher died.
 *
 * @param launcherPid       the pid of the {@code up} process (it hosts the S3 and Kubernetes servers)
 * @param startedAt         when {@code up} began (ISO-8601)
 * @param repo              the project root
 * @param dataDir           the data directory
 * @param readyAfterMillis  milliseconds from the command to all components ready; {@code null} while starting
 * @param components        the components, in start order
 */
public record StackState(long launcherPid, String startedAt, String repo, String dataDir,
        @Nullable Long readyAfterMillis, List<Entry> components) {

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /** Copies the component list. */
    public StackState {
        components = List.copyOf(components);
    }

    /** The kinds of component, in the order they are stopped last to first. */
    public enum Kind {
        /** The Kafka broker (child JVM). */
        KAFKA,
        /** A PostgreSQL cluster (postmaster run by pg_ctl). */
        POSTGRES,
        /** The S3 API (inside the launcher). */
        S3,
        /** A simulated Kubernetes API (inside the launcher). */
        KUBERNETES,
        /** A regional sample app (child JVM). */
        SAMPLE_APP,
        /** A control-plane service (child JVM). */
        SERVICE,
        /** The gateway (child JVM). */
        GATEWAY
    }

    /**
     * One component.
     *
     * @param name      unique name, e.g. {@code postgres-us-west-2}, {@code region-service}
     * @param kind      what it is
     * @param region    the region it belongs to, or {@code null} for shared ones
     * @param endpoint  where to reach it (URL or JDBC URL)
     * @param port      its main port
     * @param healthUrl the URL that answers 200 when it is ready, if it has one
     * @param pid       its pid (the launcher's for the servers inside the launcher)
     * @param tier      stop order: higher tiers stop first
     * @param dataDir   its data directory, for PostgreSQL and Kafka
     * @param pidFile   its pid file, for child JVMs
     * @param logFile   its log
     * @param note      extra fact for the table, e.g. {@code standby of us-east-1}
     */
    public record Entry(String name, Kind kind, @Nullable String region, String endpoint, int port,
            @Nullable String healthUrl, long pid, int tier, @Nullable String dataDir, @Nullable String pidFile,
            @Nullable String logFile, @Nullable String note) {
    }

    /** This state with one more component (replacing one of the same name). */
    public StackState with(Entry entry) {
        List<Entry> list = new ArrayList<>(components.stream().filter(e -> !e.name().equals(entry.name())).toList());
        list.add(entry);
        return new StackState(launcherPid, startedAt, repo, dataDir, readyAfterMillis, list);
    }

    /** This state, ready after {@code millis}. */
    public StackState ready(long millis) {
        return new StackState(launcherPid, startedAt, repo, dataDir, millis, components);
    }

    /** Writes the state atomically. */
    public void write(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(this));
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads the state, if the file exists. */
    public static Optional<StackState> read(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(file.toFile(), StackState.class));
        } catch (JacksonException e) {
            throw new IllegalStateException(file + " is unreadable (" + e.getOriginalMessage()
                    + "); stop leftovers by hand and delete it", e);
        }
    }
}
