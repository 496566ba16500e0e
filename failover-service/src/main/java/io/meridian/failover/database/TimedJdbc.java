package io.meridian.failover.database;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;

/**
 * Runs JDBC work against a managed database with a hard deadline. A SIGSTOPped postmaster accepts the TCP
 * connection (the kernel completes the handshake) and never answers the startup packet; pgjdbc's own timeouts
 * count in whole seconds, so each call runs on a virtual thread that the caller waits for at most
 * {@code timeout}; when the deadline passes the connection (if one was opened) is aborted, and pgjdbc's
 * second-granular socket timeout ends a thread still stuck in the handshake soon after.
 */
public final class TimedJdbc implements AutoCloseable {

    /** Work on an open connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final org.postgresql.Driver driver = new org.postgresql.Driver();
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final String username;
    private final @Nullable String password;

    public TimedJdbc(String username, @Nullable String password) {
        this.username = username;
        this.password = password;
    }

    /**
     * Opens a connection to {@code jdbcUrl}, runs {@code work} with autocommit on and closes it, all within
     * {@code timeout}.
     *
     * @throws DatabaseException UNREACHABLE if no connection opened, TIMEOUT past the deadline, REFUSED if a
     *                           statement failed
     */
    public <T> T call(String jdbcUrl, Duration timeout, Work<T> work) {
        AtomicReference<@Nullable Connection> open = new AtomicReference<>();
        AtomicBoolean connected = new AtomicBoolean();
        long millis = Math.max(1, timeout.toMillis());
        Future<T> future = threads.submit(() -> {
            Properties props = new Properties();
            props.setProperty("user", username);
            if (password != null) {
                props.setProperty("password", password);
            }
            int seconds = (int) Math.max(1, (millis + 999) / 1000);
            props.setProperty("connectTimeout", Integer.toString(seconds));
            props.setProperty("socketTimeout", Integer.toString(seconds + 1));
            props.setProperty("ApplicationName", "meridian-failover");
            props.setProperty("tcpKeepAlive", "true");
            Connection connection;
            try {
                connection = driver.connect(jdbcUrl, props);
            } catch (SQLException e) {
                throw new DatabaseException(DatabaseException.Kind.UNREACHABLE, "cannot connect: " + firstLine(e), e);
            }
            if (connection == null) {
                throw new DatabaseException(DatabaseException.Kind.UNREACHABLE, "not a PostgreSQL URL: " + jdbcUrl);
            }
            open.set(connection);
            connected.set(true);
            try (connection) {
                connection.setNetworkTimeout(Runnable::run, (int) millis);
                return work.run(connection);
            } catch (SQLException e) {
                throw new DatabaseException(DatabaseException.Kind.REFUSED, firstLine(e), e);
            }
        });
        try {
            return future.get(millis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            Connection connection = open.get();
            if (connection != null) {
                try {
                    connection.abort(Runnable::run);
                } catch (SQLException | RuntimeException ignored) {
                    // the connection is being torn down anyway
                }
            }
            throw new DatabaseException(DatabaseException.Kind.TIMEOUT, (connected.get() ? "no answer within " + millis + " ms"
                    : "no answer to the connection within " + millis + " ms (a frozen server accepts TCP but never answers)"), e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DatabaseException database) {
                if (database.kind() == DatabaseException.Kind.REFUSED && isTimeout(database.getCause())) {
                    throw new DatabaseException(DatabaseException.Kind.TIMEOUT, "no answer within " + millis + " ms", database);
                }
                throw database;
            }
            throw new DatabaseException(DatabaseException.Kind.REFUSED, String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new DatabaseException(DatabaseException.Kind.TIMEOUT, "interrupted", e);
        }
    }

    private static boolean isTimeout(@Nullable Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    static String firstLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
