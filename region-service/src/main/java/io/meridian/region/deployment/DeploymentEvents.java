package io.meridian.region.deployment;

import java.net.URI;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.cloudevents.CloudEvent;
import io.meridian.common.deployment.DeploymentChanged;
import io.meridian.common.deployment.DriftDetected;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.EventPublisher;
import tools.jackson.databind.ObjectMapper;

/**
 * Deployment events on {@value Topics#ROLLOUT_EVENTS}, keyed by deployment id, through a
 * transactional outbox: an event is written in the transaction of the change it describes (so it
 * exists exactly when the change committed, and survives a crash before it was sent), then sent by
 * one publisher at a time in the order written. A deployment's versions are taken under its row
 * lock, so its events are written, and sent, in version order.
 */
@Component
class DeploymentEvents implements SmartLifecycle {

    static final URI SOURCE = URI.create("/meridian/region-service");
    /** Advisory lock key of the outbox publisher: one sender at a time over all instances. */
    private static final long PUBLISHER_LOCK = 0x6d65726964L;
    private static final Logger log = LoggerFactory.getLogger(DeploymentEvents.class);

    private final EventPublisher events;
    private final HybridLogicalClock clock;
    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final TransactionTemplate tx;
    private final Semaphore wakeups = new Semaphore(0);
    private volatile boolean running;
    private @Nullable Thread publisher;

    DeploymentEvents(EventPublisher events, HybridLogicalClock clock, JdbcClient jdbc, ObjectMapper json,
            PlatformTransactionManager transactions) {
        this.events = events;
        this.clock = clock;
        this.jdbc = jdbc;
        this.json = json;
        this.tx = new TransactionTemplate(transactions);
    }

    /**
     * Writes {@code deployment} (with the regions it carries: all of them when it starts or finishes,
     * the changed one for a region's change) as event {@code version}, in the current transaction.
     */
    void publish(String type, Deployment deployment, @Nullable RegionId changed, long version) {
        write(type, deployment.id().toString(), version, changed(deployment, changed));
    }

    /**
     * As {@link #publish}, at the deployment's next version, taken in the same statement that writes the event (one
     * round trip fewer for every region's step; the version is taken under the deployment's row lock, as always).
     */
    void publishAtNextVersion(String type, Deployment deployment, RegionId changed, Instant now) {
        int written = jdbc.sql("""
                WITH next AS (UPDATE deployments SET entity_version = entity_version + 1, updated_at = :now WHERE id = :id
                              RETURNING entity_version)
                INSERT INTO deployment_outbox (topic, event_key, type, version, hlc, payload, created_at)
                SELECT :topic, :key, :type, next.entity_version, :hlc, CAST(:payload AS jsonb), :at FROM next
                """).param("now", Timestamp.from(now)).param("id", deployment.id()).param("topic", Topics.ROLLOUT_EVENTS)
                .param("key", deployment.id().toString()).param("type", MeridianEvents.requireType(type)).param("hlc", clock.now().packed())
                .param("payload", json.writeValueAsString(changed(deployment, changed))).param("at", Timestamp.from(Instant.now())).update();
        if (written != 1) {
            throw new IllegalStateException("deployment " + deployment.id() + " is gone");
        }
        wakeAfterCommit();
    }

    private static DeploymentChanged changed(Deployment deployment, @Nullable RegionId changed) {
        return new DeploymentChanged(deployment.id(), deployment.kind().name(), deployment.service(), deployment.version(),
                deployment.state().name(), deployment.regions().stream().map(run -> new DeploymentChanged.RegionOutcome(run.region(),
                        run.state().name(), run.reason(), run.message(), run.revision(), run.attempts())).toList(),
                deployment.requestedBy(), deployment.reason(), changed, deployment.updatedAt());
    }

    /** Writes a drift finding (key {@code <service>/<region>}, version = the finding's id), in the current transaction. */
    void drift(DriftDetected data, long findingId) {
        write(EventTypes.DEPLOYMENT_DRIFT_DETECTED, data.service() + "/" + data.region(), findingId, data);
    }

    private void write(String type, String key, long version, Object data) {
        jdbc.sql("""
                INSERT INTO deployment_outbox (topic, event_key, type, version, hlc, payload, created_at)
                VALUES (:topic, :key, :type, :version, :hlc, CAST(:payload AS jsonb), :at)
                """).param("topic", Topics.ROLLOUT_EVENTS).param("key", key).param("type", MeridianEvents.requireType(type))
                .param("version", version).param("hlc", clock.now().packed()).param("payload", json.writeValueAsString(data))
                .param("at", Timestamp.from(Instant.now())).update();
        wakeAfterCommit();
    }

    /** Wakes the publisher once the current transaction committed (at once outside one). */
    private void wakeAfterCommit() {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    wakeups.release();
                }
            });
        } else {
            wakeups.release();
        }
    }

    @Override
    public synchronized void start() {
        if (!running) {
            running = true;
            publisher = Thread.ofPlatform().name("deployment-outbox").daemon(true).start(this::loop);
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        wakeups.release();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void loop() {
        while (running) {
            try {
                wakeups.tryAcquire(1, TimeUnit.SECONDS);
                wakeups.drainPermits();
                while (running && sendBatch() > 0) {
                    // keep draining
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Deployment events not sent yet (retrying): {}", e.getMessage());
            }
        }
    }

    /** Sends the oldest written events in order and deletes them once acknowledged; returns how many. */
    int sendBatch() {
        Integer sent = tx.execute(status -> {
            if (!Boolean.TRUE.equals(jdbc.sql("SELECT pg_try_advisory_xact_lock(:key)").param("key", PUBLISHER_LOCK).query(Boolean.class)
                    .single())) {
                return 0;
            }
            record Row(long seq, String topic, CloudEvent event) {
            }
            List<Row> rows = jdbc.sql("SELECT * FROM deployment_outbox ORDER BY seq LIMIT 500").query((rs, n) -> new Row(rs.getLong("seq"),
                    rs.getString("topic"), MeridianEvents.event(rs.getString("type"), SOURCE, rs.getString("event_key"), rs.getLong("version"),
                            HlcTimestamp.fromPacked(rs.getLong("hlc")), json.readTree(rs.getString("payload"))))).list();
            if (rows.isEmpty()) {
                return 0;
            }
            List<CompletableFuture<?>> acks = new ArrayList<>();
            rows.forEach(row -> acks.add(events.publish(row.topic(), row.event())));
            try {
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("the broker did not acknowledge the deployment events: " + e.getMessage(), e);
            }
            // Exactly the rows sent: a row with a lower seq may have committed after the SELECT (another deployment's).
            jdbc.sql("DELETE FROM deployment_outbox WHERE seq IN (:seqs)").param("seqs", rows.stream().map(Row::seq).toList()).update();
            return rows.size();
        });
        return sent == null ? 0 : sent;
    }
}
