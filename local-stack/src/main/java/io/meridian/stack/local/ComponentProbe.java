package io.meridian.stack.local;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Properties;

import io.meridian.stack.kafka.KafkaBroker;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.stack.process.Processes;

/**
 * Checks one recorded component from the outside, the way {@code status} does: is its process
 * alive, and does it answer on its port (a health URL, a SQL query, a TCP connect)?
 */
final class ComponentProbe {

    /**
     * The outcome of a check.
     *
     * @param up     whether it runs and answers
     * @param pid    the live pid, or -1
     * @param status a short description for the table
     */
    record Result(boolean up, long pid, String status) {
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    Result check(StackState.Entry entry) {
        long pid = livePid(entry);
        if (pid <= 0) {
            return new Result(false, -1, "down (no process)");
        }
        return switch (entry.kind()) {
            case KAFKA -> tcp(entry.port()) ? new Result(true, pid, "up")
                    : new Result(false, pid, "not answering on " + entry.port());
            case POSTGRES -> postgres(entry, pid);
            case S3 -> http(entry.endpoint(), pid, true);
            case KUBERNETES, SAMPLE_APP, SERVICE, GATEWAY ->
                http(entry.healthUrl() == null ? entry.endpoint() : entry.healthUrl(), pid, false);
        };
    }

    /** The component's live pid, found again from its data directory where that is possible. */
    static long livePid(StackState.Entry entry) {
        OptionalLong pid = switch (entry.kind()) {
            case POSTGRES -> entry.dataDir() == null ? OptionalLong.empty() : PostgresCluster.runningPid(Path.of(entry.dataDir()));
            case KAFKA -> entry.dataDir() == null ? OptionalLong.empty() : KafkaBroker.runningPid(Path.of(entry.dataDir()));
            default -> Processes.isAlive(entry.pid()) ? OptionalLong.of(entry.pid()) : OptionalLong.empty();
        };
        return pid.orElse(-1);
    }

    private Result postgres(StackState.Entry entry, long pid) {
        Properties props = new Properties();
        props.setProperty("user", "postgres");
        props.setProperty("connectTimeout", "5");
        props.setProperty("socketTimeout", "5");
        props.setProperty("ApplicationName", "meridian-stack-status");
        try (Connection c = DriverManager.getConnection(entry.endpoint(), props);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
            rs.next();
            return new Result(true, pid, rs.getBoolean(1) ? "up (standby)" : "up (primary)");
        } catch (SQLException e) {
            return new Result(false, pid, "not answering: " + e.getMessage());
        }
    }

    private Result http(String url, long pid, boolean anyStatus) {
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            int code = response.statusCode();
            if (anyStatus || code == 200) {
                return new Result(true, pid, "up");
            }
            return new Result(false, pid, "not ready (HTTP " + code + ")");
        } catch (IOException e) {
            return new Result(false, pid, "not answering (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, pid, "interrupted");
        }
    }

    private static boolean tcp(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) TIMEOUT.toMillis());
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
