package io.meridian.failover;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * A client writing steadily into {@code ledger(id)} of whichever member the control plane names primary, keeping
 * a ledger of every acknowledged write (which member, when it started, when it was acknowledged).
 */
final class LedgerWriter implements AutoCloseable {

    /** One acknowledged write. */
    record Ack(long id, String region, Instant startedAt, Instant ackedAt) {
    }

    private final Supplier<Map.Entry<String, String>> primary;
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
    private final List<Ack> acks = new CopyOnWriteArrayList<>();
    private @Nullable Connection connection;
    private @Nullable String region;
    private long next = 1_000_000;
    private long resolvedAt;

    /** @param primary the current primary's region and JDBC URL, as the control plane says */
    LedgerWriter(Supplier<Map.Entry<String, String>> primary) {
        this.primary = primary;
        ticks.scheduleWithFixedDelay(this::write, 0, 10, TimeUnit.MILLISECONDS);
    }

    private void write() {
        long id = next++;
        Instant started = Instant.now();
        try {
            if (connection == null) {
                if (System.nanoTime() - resolvedAt < 100_000_000L) {
                    return;
                }
                resolvedAt = System.nanoTime();
                Map.Entry<String, String> target = primary.get();
                Properties props = new Properties();
                props.setProperty("user", "postgres");
                props.setProperty("connectTimeout", "1");
                props.setProperty("socketTimeout", "2");
                connection = DriverManager.getConnection(target.getValue(), props);
                region = target.getKey();
            }
            try (PreparedStatement insert = connection.prepareStatement("INSERT INTO ledger (id) VALUES (?)")) {
                insert.setLong(1, id);
                insert.executeUpdate();
            }
            acks.add(new Ack(id, java.util.Objects.requireNonNull(region), started, Instant.now()));
        } catch (SQLException | RuntimeException e) {
            closeConnection();
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken anyway
            }
        }
        connection = null;
    }

    List<Ack> acks() {
        return List.copyOf(acks);
    }

    long ackedOn(String region) {
        return acks.stream().filter(a -> a.region().equals(region)).count();
    }

    @Override
    public void close() {
        ticks.shutdown();
        try {
            ticks.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeConnection();
    }
}
