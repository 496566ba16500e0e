package io.meridian.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpServer;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The regional sample application. {@link #main} runs it from the command line (or environment);
 * {@link #start} runs it in-process, which is what the tests do.
 *
 * <p>A JDK {@link HttpServer} serves each request on its own virtual thread; a SIGTERM (or Ctrl-C)
 * stops accepting connections, lets running requests finish for up to {@value #GRACE_SECONDS}
 * seconds and closes the database pool.
 */
public final class SampleApp implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SampleApp.class);
    private static final int GRACE_SECONDS = 5;

    private final SampleConfig config;
    private final HttpServer server;
    private final ExecutorService executor;
    private final RegionalDatabase database;
    private final RequestMetrics metrics;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);

    private SampleApp(SampleConfig config, HttpServer server, ExecutorService executor, RegionalDatabase database,
            RequestMetrics metrics) {
        this.config = config;
        this.server = server;
        this.executor = executor;
        this.database = database;
        this.metrics = metrics;
    }

    /**
     * Starts the app: binds the HTTP server, opens the (lazy) database pool and probes the database in
     * the background, creating the {@code items} table if it is a primary. Does not wait for the
     * database: while it is down the app serves and {@code /health} answers 503.
     *
     * @throws IOException when the port cannot be bound
     */
    public static SampleApp start(SampleConfig config) throws IOException {
        RequestMetrics metrics = new RequestMetrics(config.region());
        RegionalDatabase database = new RegionalDatabase(config, metrics.registry());
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(config.bind(), config.port()), 128);
        } catch (IOException e) {
            database.close();
            metrics.close();
            throw new IOException("cannot listen on " + config.bind() + ":" + config.port() + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        SampleConfig bound = config.withPort(server.getAddress().getPort());
        server.setExecutor(executor);
        server.createContext("/", new HttpApi(bound, database, metrics));
        server.start();
        database.warmUp();
        LOG.info("sample app for region {} ({}) listening on http://{}:{}", bound.region(), bound.instance(),
                bound.bind(), bound.port());
        return new SampleApp(bound, server, executor, database, metrics);
    }

    /** The port the server listens on. */
    public int port() {
        return config.port();
    }

    /** The base URI of the app, e.g. {@code http://127.0.0.1:18101/}. */
    public URI baseUri() {
        String host = config.bind().contains(":") ? "[" + config.bind() + "]" : config.bind();
        return URI.create("http://" + host + ":" + config.port() + "/");
    }

    /** The settings it runs with (the port is the one actually bound). */
    public SampleConfig config() {
        return config;
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /** Stops accepting requests, waits for running ones (bounded), then closes the pool. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        LOG.info("stopping sample app for region {}", config.region());
        server.stop(GRACE_SECONDS);
        executor.shutdown();
        database.close();
        metrics.close();
        stopped.countDown();
        LOG.info("sample app for region {} stopped", config.region());
    }

    /** Runs the app until SIGTERM or Ctrl-C. See {@code --help} for the options. */
    public static void main(String[] args) {
        int code = new CommandLine(new Cli()).execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    @Command(name = "sample-app", mixinStandardHelpOptions = true,
            description = "Meridian's regional sample app. Every option can also come from the environment variable named in its description.")
    static final class Cli implements Callable<Integer> {

        @Option(names = "--region", defaultValue = "${env:MERIDIAN_REGION}", description = "Region served, e.g. us-east-1 (MERIDIAN_REGION).")
        @Nullable String region;

        @Option(names = "--port", defaultValue = "${env:MERIDIAN_PORT:-8080}", description = "HTTP port (MERIDIAN_PORT), default ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--bind", defaultValue = "${env:MERIDIAN_BIND:-127.0.0.1}", description = "Address to bind (MERIDIAN_BIND), default ${DEFAULT-VALUE}.")
        String bind = "127.0.0.1";

        @Option(names = "--jdbc-url", defaultValue = "${env:MERIDIAN_JDBC_URL}", description = "Regional database, e.g. jdbc:postgresql://127.0.0.1:15433/app (MERIDIAN_JDBC_URL).")
        @Nullable String jdbcUrl;

        @Option(names = "--db-user", defaultValue = "${env:MERIDIAN_DB_USER:-postgres}", description = "Database user (MERIDIAN_DB_USER), default ${DEFAULT-VALUE}.")
        String dbUser = "postgres";

        @Option(names = "--db-password", defaultValue = "${env:MERIDIAN_DB_PASSWORD:-}", description = "Database password (MERIDIAN_DB_PASSWORD), empty for trust authentication.")
        String dbPassword = "";

        @Option(names = "--instance", defaultValue = "${env:MERIDIAN_INSTANCE}", description = "Instance name (MERIDIAN_INSTANCE), default <region>-<pid>.")
        @Nullable String instance;

        @Override
        public Integer call() throws Exception {
            if (region == null || region.isBlank() || jdbcUrl == null || jdbcUrl.isBlank()) {
                System.err.println("sample-app: --region (MERIDIAN_REGION) and --jdbc-url (MERIDIAN_JDBC_URL) are required");
                return 2;
            }
            SampleConfig config;
            try {
                config = new SampleConfig(region, instance == null || instance.isBlank() ? SampleConfig.defaultInstance(region) : instance,
                        bind, port, jdbcUrl, dbUser, dbPassword);
            } catch (IllegalArgumentException e) {
                System.err.println("sample-app: " + e.getMessage());
                return 2;
            }
            SampleApp app;
            try {
                app = start(config);
            } catch (IOException e) {
                LOG.error("sample app for region {} cannot start: {}", region, e.getMessage());
                return 1;
            }
            Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("sample-app-shutdown").unstarted(app::close));
            app.awaitStop();
            return 0;
        }
    }
}
