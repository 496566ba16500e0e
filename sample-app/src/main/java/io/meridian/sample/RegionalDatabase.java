package io.meridian.sample;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * The region's PostgreSQL database, reached through a HikariCP pool that starts without a
 * connection, so the app comes up (and reports DOWN) while the database is down and recovers by
 * itself when it returns. Creates the {@code items} table once it first reaches a primary.
 */
final class RegionalDatabase implements AutoCloseable {

    /** What the database currently is, as seen by a probe. */
    enum Role {
        PRIMARY, STANDBY, UNAVAILABLE;

        /** The lowercase name used in JSON answers. */
        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The result of an upsert: the stored row and whether it was new. */
    record Upserted(Item item, boolean created) {
    }

    private static final Logger LOG = LoggerFactory.getLogger(RegionalDatabase.class);

    private static final String CREATE_TABLE = """
            CREATE TABLE IF NOT EXISTS items (
                key        text PRIMARY KEY,
                value      text NOT NULL,
                region     text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )""";

    /* xmax = 0 holds only for a row version this statement inserted, so it tells insert from update. */
    private static final String UPSERT = """
            INSERT INTO items (key, value, region, updated_at) VALUES (?, ?, ?, now())
            ON CONFLICT (key) DO UPDATE SET value = excluded.value, region = excluded.region, updated_at = now()
            RETURNING key, value, region, updated_at, (xmax = 0) AS inserted""";

    private final String region;
    private final HikariDataSource pool;
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private volatile boolean schemaReady;

    RegionalDatabase(SampleConfig config, MeterRegistry registry) {
        this.region = config.region();
        HikariConfig hikari = new HikariConfig();
        hikari.setPoolName("sample-" + config.region());
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.dbUser());
        if (!config.dbPassword().isEmpty()) {
            hikari.setPassword(config.dbPassword());
        }
        hikari.setMaximumPoolSize(8);
        hikari.setMinimumIdle(1);
        // Start without a connection: the app must come up while its database is down.
        hikari.setInitializationFailTimeout(-1);
        hikari.setConnectionTimeout(1_000);
        hikari.setValidationTimeout(500);
        hikari.setKeepaliveTime(Duration.ofSeconds(30).toMillis());
        hikari.addDataSourceProperty("connectTimeout", "1");
        hikari.addDataSourceProperty("socketTimeout", "10");
        hikari.addDataSourceProperty("tcpKeepAlive", "true");
        hikari.addDataSourceProperty("ApplicationName", "meridian-sample-" + config.region());
        hikari.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
        this.pool = new HikariDataSource(hikari);
    }

    /**
     * Asks the database what it is, within {@code timeout}: {@code PRIMARY}, {@code STANDBY}
     * ({@code pg_is_in_recovery()}), or {@code UNAVAILABLE} when it cannot answer in time. Creates
     * the schema on the way when the database is a primary that does not have it yet.
     */
    Role probe(Duration timeout) {
        CompletableFuture<Role> probe = CompletableFuture.supplyAsync(() -> {
            try (Connection connection = pool.getConnection()) {
                boolean standby = inRecovery(connection);
                ensureSchema(connection, standby);
                return standby ? Role.STANDBY : Role.PRIMARY;
            } catch (SQLException e) {
                LOG.debug("database probe failed: {}", e.getMessage());
                return Role.UNAVAILABLE;
            }
        }, probes);
        try {
            return probe.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.debug("database probe did not answer within {}", timeout);
            return Role.UNAVAILABLE;
        } catch (ExecutionException e) {
            LOG.warn("database probe failed", e.getCause());
            return Role.UNAVAILABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Role.UNAVAILABLE;
        }
    }

    /** Starts a probe in the background, creating the schema early when the database is already up. */
    void warmUp() {
        probes.execute(() -> {
            Role role = probe(Duration.ofSeconds(5));
            LOG.info("database of region {} is {}", region, role.json());
        });
    }

    /** The item with {@code key}, if stored. */
    Optional<Item> find(String key) {
        try (Connection connection = connection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT key, value, region, updated_at FROM items WHERE key = ?")) {
            select.setString(1, key);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(item(rows)) : Optional.empty();
            }
        } catch (SQLException e) {
            if (undefinedTable(e)) {
                return Optional.empty();
            }
            throw translate(e);
        }
    }

    /** Up to {@code limit} items in key order. */
    List<Item> list(int limit) {
        try (Connection connection = connection();
             PreparedStatement select = connection.prepareStatement(
                     "SELECT key, value, region, updated_at FROM items ORDER BY key LIMIT ?")) {
            select.setInt(1, limit);
            try (ResultSet rows = select.executeQuery()) {
                List<Item> items = new ArrayList<>();
                while (rows.next()) {
                    items.add(item(rows));
                }
                return items;
            }
        } catch (SQLException e) {
            if (undefinedTable(e)) {
                return List.of();
            }
            throw translate(e);
        }
    }

    /**
     * Inserts or replaces the item with {@code key}.
     *
     * @throws ApiProblem {@code read-only-region} when the database is a standby
     */
    Upserted upsert(String key, String value) {
        try (Connection connection = connection()) {
            boolean standby = inRecovery(connection);
            if (standby) {
                throw ApiProblem.readOnlyRegion(region);
            }
            ensureSchema(connection, false);
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
                upsert.setString(1, key);
                upsert.setString(2, value);
                upsert.setString(3, region);
                try (ResultSet rows = upsert.executeQuery()) {
                    rows.next();
                    return new Upserted(item(rows), rows.getBoolean("inserted"));
                }
            }
        } catch (SQLException e) {
            if ("25006".equals(e.getSQLState())) { // read_only_sql_transaction: became a standby meanwhile
                throw ApiProblem.readOnlyRegion(region);
            }
            throw translate(e);
        }
    }

    @Override
    public void close() {
        pool.close();
        probes.shutdownNow();
    }

    private Connection connection() {
        try {
            return pool.getConnection();
        } catch (SQLException e) {
            throw ApiProblem.databaseUnavailable(region, e);
        }
    }

    private void ensureSchema(Connection connection, boolean standby) throws SQLException {
        if (schemaReady) {
            return;
        }
        if (standby) {
            // A standby cannot create tables; it gets the table from its primary through replication.
            try (Statement check = connection.createStatement();
                 ResultSet rows = check.executeQuery("SELECT to_regclass('items') IS NOT NULL")) {
                rows.next();
                schemaReady = rows.getBoolean(1);
            }
            return;
        }
        try (Statement create = connection.createStatement()) {
            create.execute(CREATE_TABLE);
        }
        schemaReady = true;
        LOG.info("table items is ready in the database of region {}", region);
    }

    private static boolean inRecovery(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_is_in_recovery()")) {
            rows.next();
            return rows.getBoolean(1);
        }
    }

    private static Item item(ResultSet rows) throws SQLException {
        return new Item(rows.getString("key"), rows.getString("value"), rows.getString("region"),
                rows.getObject("updated_at", java.time.OffsetDateTime.class).toInstant());
    }

    private static boolean undefinedTable(SQLException e) {
        return "42P01".equals(e.getSQLState());
    }

    /** Connection-level failures are the database being unavailable; anything else is a bug. */
    private RuntimeException translate(SQLException e) {
        String state = e.getSQLState();
        boolean unavailable = e instanceof SQLTransientConnectionException
                || (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("53300")));
        if (unavailable) {
            return ApiProblem.databaseUnavailable(region, e);
        }
        return new IllegalStateException("database error in region " + region + " (SQLState " + state + ")", e);
    }
}
