package io.meridian.failover.probe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.HealthObservation;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.failover.database.DatabaseException;
import io.meridian.failover.database.ManagedDatabases;
import io.meridian.failover.quorum.ObserverBook;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.failover.topology.MemberRole;
import io.meridian.failover.topology.StoredCluster;
import io.meridian.failover.topology.Topology;
import io.meridian.support.kafka.EventPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Probes every member of every watched cluster each {@code probe.interval}: a fresh JDBC connection, its state
 * ({@code pg_is_in_recovery}, WAL positions, {@code pg_stat_replication} on a primary, the replicated heartbeat on
 * a standby), and on the primary a heartbeat write. The whole probe must finish within {@code probe.timeout}. A
 * probe that is still waiting does not stop the next one from starting (a few may overlap), so a frozen member
 * yields a failure every interval once the first probe timed out. Each result is recorded as this instance's
 * observation and published on {@value Topics#HEALTH_OBSERVATIONS}.
 */
@Component
public class Prober implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Prober.class);
    private static final URI SOURCE = URI.create("/meridian/failover-service");

    private final Topology topology;
    private final ManagedDatabases databases;
    private final ProbeBook book;
    private final ObserverBook observers;
    private final EventPublisher events;
    private final HybridLogicalClock hlc;
    private final FailoverProperties properties;
    private final MeterRegistry meters;
    private final Clock clock = Clock.systemUTC();
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final int maxInFlight;
    private volatile List<StoredCluster> clusters = List.of();
    private volatile boolean running;
    private ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    /** Publishing waits for Kafka metadata when the broker is away; it must never hold up probing. */
    private final java.util.concurrent.ThreadPoolExecutor publisher = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new java.util.concurrent.ArrayBlockingQueue<>(1000), Thread.ofPlatform().name("failover-observations").daemon().factory(),
            new java.util.concurrent.ThreadPoolExecutor.DiscardOldestPolicy());

    Prober(Topology topology, ManagedDatabases databases, ProbeBook book, ObserverBook observers, EventPublisher events,
            HybridLogicalClock hlc, FailoverProperties properties, MeterRegistry meters) {
        this.topology = topology;
        this.databases = databases;
        this.book = book;
        this.observers = observers;
        this.events = events;
        this.hlc = hlc;
        this.properties = properties;
        this.meters = meters;
        this.maxInFlight = (int) Math.min(5, properties.probe().timeout().toMillis() / Math.max(1, properties.probe().interval().toMillis()) + 2);
    }

    @Override
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("failover-prober").daemon().factory());
        long interval = properties.probe().interval().toMillis();
        scheduler.scheduleAtFixedRate(this::round, 0, interval, TimeUnit.MILLISECONDS);
        running = true;
        log.info("Probing every {} ms (timeout {} ms, {} consecutive failures, degraded for {} ms) as observer {}", interval,
                properties.probe().timeout().toMillis(), properties.probe().failureThreshold(), properties.probe().degradedAfter().toMillis(),
                properties.observer());
    }

    @Override
    public void stop() {
        running = false;
        scheduler.shutdownNow();
        probes.shutdownNow();
        publisher.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The clusters as this prober last read them. */
    public List<StoredCluster> clusters() {
        return clusters;
    }

    private void round() {
        try {
            clusters = topology.all();
        } catch (RuntimeException e) {
            log.debug("Could not read the topology (probing the last known one): {}", e.getMessage());
        }
        for (StoredCluster stored : clusters) {
            for (ClusterMember member : stored.cluster().members()) {
                String key = stored.cluster().name() + "/" + member.region();
                AtomicInteger pending = inFlight.computeIfAbsent(key, k -> new AtomicInteger());
                if (pending.get() >= maxInFlight) {
                    continue;
                }
                pending.incrementAndGet();
                long seq = sequence.incrementAndGet();
                try {
                    probes.submit(() -> {
                        try {
                            probe(stored.cluster().name(), member, seq);
                        } finally {
                            pending.decrementAndGet();
                        }
                    });
                } catch (RuntimeException e) {
                    pending.decrementAndGet(); // shutting down
                }
            }
        }
    }

    private void probe(String cluster, ClusterMember member, long seq) {
        Instant at = clock.instant();
        long t0 = System.nanoTime();
        ObserverBook.Health health;
        String detail;
        ManagedDatabases.State state = null;
        boolean write = properties.probe().writeProbe() && member.role() == MemberRole.PRIMARY;
        try {
            state = databases.probe(member, write, properties.observer(), seq, properties.probe().timeout());
            health = ObserverBook.Health.UP;
            detail = describe(state);
            if (member.role() == MemberRole.PRIMARY && state.inRecovery()) {
                health = ObserverBook.Health.DEGRADED;
                detail = "in recovery, not a primary";
            } else if (member.role() == MemberRole.PRIMARY && state.writeError() != null) {
                health = ObserverBook.Health.DEGRADED;
                detail = "write probe failed: " + state.writeError();
            } else if (member.role() == MemberRole.STANDBY && !state.inRecovery()) {
                health = ObserverBook.Health.DEGRADED;
                detail = "not in recovery: a second primary?";
            }
        } catch (DatabaseException e) {
            health = ObserverBook.Health.DOWN;
            detail = e.kind().name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage();
        } catch (RuntimeException e) {
            health = ObserverBook.Health.DOWN;
            detail = "probe failed: " + e;
        }
        double latency = (System.nanoTime() - t0) / 1e6;
        ProbeResult.AppHealth app = member.appHealthUrl() == null ? null : probeApp(member);
        Timer.builder("meridian.failover.probe").tag("region", member.region().value()).tag("outcome", health.name().toLowerCase(java.util.Locale.ROOT))
                .register(meters).record(Duration.ofNanos(System.nanoTime() - t0));
        String text = health.name().toLowerCase(java.util.Locale.ROOT) + ": " + detail + " (database of " + member.region() + ", "
                + member.role() + " in " + cluster + ")" + (app == null ? "" : "; app " + (app.up() ? "up" : "down") + ": " + app.detail());
        ProbeResult result = new ProbeResult(cluster, member.region(), member.role(), seq, at, health, latency, text, state, app);
        if (!book.record(result)) {
            return;
        }
        observers.record(member.region(), properties.observer(), health, at, text);
        publish(new HealthObservation(member.region(), properties.observer(), health == ObserverBook.Health.UP, latency, at, text));
    }

    /**
     * The region's application health endpoint, within the probe timeout. Reported beside the database's health,
     * never instead of it: failover acts on the database, and an application that is down for its own reasons is not
     * mended by promoting a standby.
     */
    private ProbeResult.AppHealth probeApp(ClusterMember member) {
        long t0 = System.nanoTime();
        int status = 0;
        String detail;
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(member.appHealthUrl()))
                    .timeout(properties.probe().timeout()).GET().build(), HttpResponse.BodyHandlers.discarding());
            status = response.statusCode();
            detail = "HTTP " + status;
        } catch (java.io.IOException e) {
            detail = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            detail = "interrupted";
        }
        double millis = (System.nanoTime() - t0) / 1e6;
        boolean up = status / 100 == 2;
        Timer.builder("meridian.failover.app-probe").tag("region", member.region().value()).tag("outcome", up ? "up" : "down")
                .register(meters).record(Duration.ofNanos(System.nanoTime() - t0));
        return new ProbeResult.AppHealth(up, status, millis, detail + String.format(java.util.Locale.ROOT, " in %.1f ms", millis));
    }

    private void publish(HealthObservation observation) {
        if (!running) {
            return;
        }
        HlcTimestamp stamp = hlc.now();
        try {
            publisher.execute(() -> {
                try {
                    events.publish(Topics.HEALTH_OBSERVATIONS, MeridianEvents.event(EventTypes.HEALTH_OBSERVED, SOURCE,
                            observation.region().value(), stamp.packed(), stamp, observation));
                } catch (RuntimeException e) {
                    log.debug("Could not publish a health observation: {}", e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // shutting down
        }
    }

    private static String describe(ManagedDatabases.State state) {
        if (state.inRecovery()) {
            return "standby, received " + state.receiveLsn() + ", replayed " + state.replayLsn();
        }
        return "primary at " + state.currentLsn() + (state.heartbeatWritten() != null ? ", heartbeat written" : "") + ", "
                + state.replicas().size() + " standby(s) streaming";
    }
}
