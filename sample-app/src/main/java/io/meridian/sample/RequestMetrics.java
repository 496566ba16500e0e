package io.meridian.sample;

import java.time.Duration;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The app's Prometheus registry: HTTP request counts, errors and latency under
 * {@code meridian.sample.*}, plus JVM, process and connection-pool meters. Every meter carries the
 * {@code region} tag. Tags stay low-cardinality: routes are templates, methods a fixed set.
 */
final class RequestMetrics implements AutoCloseable {

    /** Content type of the Prometheus text format 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    /** Content type of the OpenMetrics text format. */
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    RequestMetrics(String region) {
        registry.config().commonTags("region", region, "application", "meridian-sample");
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The registry, for binders such as the connection pool's. */
    PrometheusMeterRegistry registry() {
        return registry;
    }

    /**
     * Records one answered request.
     *
     * @param problem the problem type slug when the answer was a problem, else {@code null}
     */
    void record(String method, String route, int status, @Nullable String problem, Duration elapsed) {
        String methodTag = METHODS.contains(method) ? method : "OTHER";
        String statusTag = Integer.toString(status);
        Counter.builder("meridian.sample.requests")
                .description("HTTP requests answered, by method, route template and status")
                .tags("method", methodTag, "route", route, "status", statusTag)
                .register(registry)
                .increment();
        Timer.builder("meridian.sample.request.duration")
                .description("Time to answer an HTTP request")
                .tags("method", methodTag, "route", route, "status", statusTag)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry)
                .record(elapsed);
        if (status >= 400) {
            Counter.builder("meridian.sample.errors")
                    .description("HTTP requests answered with a problem, by route, status and problem type")
                    .tags("route", route, "status", statusTag, "type", problem == null ? "none" : problem)
                    .register(registry)
                    .increment();
        }
    }

    /** The current meters in the text format the {@code Accept} header asks for. */
    String scrape(String contentType) {
        return registry.scrape(contentType);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
