package io.meridian.gateway.traffic;

import java.net.URI;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventSerializer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.gateway.config.TrafficProperties;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Passive health: what live traffic sees of each region, published as {@link HealthObservation}s on
 * {@value Topics#HEALTH_OBSERVATIONS} so that the control plane learns from real traffic (in the
 * manner of Envoy's outlier detection):
 * <ul>
 *   <li>an unhealthy observation when a region's upstream fails {@code consecutive-failures} times in a row
 *       (connect errors, timeouts, 5xx), once per streak;</li>
 *   <li>an observation whenever a region's circuit opens (unhealthy) or closes again (healthy);</li>
 *   <li>every {@code interval}, a summary per region that carried traffic: healthy when fewer than half the
 *       requests failed, with the mean latency.</li>
 * </ul>
 * Publishing runs on its own thread behind a bounded queue; when Kafka is down observations are
 * dropped (and counted), never queued without bound, and no request ever waits for Kafka.
 */
public final class PassiveHealth implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PassiveHealth.class);
    private static final URI SOURCE = URI.create("/meridian/gateway");

    private final TrafficProperties.Outliers settings;
    private final Upstreams upstreams;
    private final Map<String, Object> producerConfig;
    private final MeterRegistry meters;
    private final HybridLogicalClock clock = HybridLogicalClock.system();
    private final AtomicLong version = new AtomicLong(System.currentTimeMillis() * 1000);
    private final ThreadPoolExecutor sender;
    private final ScheduledExecutorService ticker;
    private final Map<RegionId, long[]> reported = new HashMap<>();
    private volatile @Nullable KafkaProducer<String, CloudEvent> producer;
    private volatile boolean running;

    public PassiveHealth(TrafficProperties properties, Upstreams upstreams, Map<String, Object> producerConfig, MeterRegistry meters) {
        this.settings = properties.outliers();
        this.upstreams = upstreams;
        this.producerConfig = producerConfig;
        this.meters = meters;
        this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(1024),
                Thread.ofPlatform().name("passive-health-publisher").daemon().factory(), (task, pool) ->
                        meters.counter("meridian.gateway.health.observations", "outcome", "dropped").increment());
        this.ticker = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("passive-health-ticker").daemon().factory());
        upstreams.breakers().getEventPublisher().onEntryAdded(added -> watch(added.getAddedEntry()));
    }

    private void watch(CircuitBreaker breaker) {
        breaker.getEventPublisher().onStateTransition(event -> {
            CircuitBreaker.State to = event.getStateTransition().getToState();
            RegionId region = RegionId.of(breaker.getName());
            if (to == CircuitBreaker.State.OPEN) {
                var metrics = breaker.getMetrics();
                observe(region, false, null, "circuit open: " + metrics.getNumberOfFailedCalls() + " of "
                        + metrics.getNumberOfBufferedCalls() + " recent calls failed");
            } else if (to == CircuitBreaker.State.CLOSED) {
                observe(region, true, null, "circuit closed: trial calls succeeded");
            }
            log.info("Circuit of region {}: {}", region, event.getStateTransition());
        });
    }

    /** Called after every failed call; reports the region once per streak of failures. */
    void failed(Upstreams.Upstream upstream, int consecutive, String detail) {
        if (consecutive == settings.consecutiveFailures()) {
            observe(upstream.region, false, null, consecutive + " consecutive failures, last: " + detail);
        }
    }

    /** Queues an observation of {@code region} for publication. */
    void observe(RegionId region, boolean healthy, @Nullable Double latencyMillis, String detail) {
        HealthObservation observation = new HealthObservation(region, settings.observer(), healthy, latencyMillis, Instant.now(), detail);
        sender.execute(() -> publish(observation));
    }

    private void publish(HealthObservation observation) {
        KafkaProducer<String, CloudEvent> current = producer;
        if (current == null) {
            return;
        }
        String key = observation.region().value();
        CloudEvent event = MeridianEvents.event(EventTypes.HEALTH_OBSERVED, SOURCE, key, version.incrementAndGet(), clock.now(), observation);
        try {
            current.send(new ProducerRecord<>(Topics.HEALTH_OBSERVATIONS, key, event), (metadata, failure) ->
                    meters.counter("meridian.gateway.health.observations", "outcome", failure == null ? "published" : "failed").increment());
        } catch (RuntimeException e) {
            meters.counter("meridian.gateway.health.observations", "outcome", "failed").increment();
            log.debug("Could not publish a health observation of {}: {}", key, e.toString());
        }
    }

    private void summarise() {
        for (Upstreams.Upstream upstream : upstreams.all()) {
            long ok = upstream.successes.sum();
            long bad = upstream.failures.sum();
            long nanos = upstream.latencyNanos.sum();
            long[] last = reported.computeIfAbsent(upstream.region, r -> new long[3]);
            long calls = ok - last[0] + bad - last[1];
            if (calls == 0) {
                continue;
            }
            long failedCalls = bad - last[1];
            double meanMillis = Math.round((nanos - last[2]) / 1e4 / calls) / 100.0;
            last[0] = ok;
            last[1] = bad;
            last[2] = nanos;
            String detail = "passive: " + calls + " requests, " + failedCalls + " failed"
                    + (failedCalls > 0 && upstream.lastFailure != null ? " (last: " + upstream.lastFailure + ")" : "");
            observe(upstream.region, failedCalls * 2 < calls, meanMillis, detail);
        }
    }

    @Override
    public void start() {
        Properties config = new Properties();
        config.putAll(producerConfig);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 2000);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        producer = new KafkaProducer<>(config, new StringSerializer(), new CloudEventSerializer());
        long every = settings.interval().toMillis();
        ticker.scheduleAtFixedRate(() -> {
            try {
                summarise();
            } catch (RuntimeException e) {
                log.warn("Passive health summary failed", e);
            }
        }, every, every, TimeUnit.MILLISECONDS);
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        ticker.shutdownNow();
        sender.shutdown();
        try {
            sender.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        KafkaProducer<String, CloudEvent> current = producer;
        producer = null;
        if (current != null) {
            current.close(java.time.Duration.ofSeconds(2));
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
