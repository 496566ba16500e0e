package io.meridian.support.kafka;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.NewTopic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * Keeps trying to create (or correct) the shared topics until it has succeeded once.
 *
 * <p>{@link KafkaAdmin} tries once while the context starts and, with {@code fail-fast=false}, gives up quietly
 * when the broker is slow or not there yet. A producer or consumer may then make the broker auto-create a state
 * topic with the default (delete) cleanup policy, which would lose the routing table and region state on
 * retention. This retries {@link KafkaAdmin#createOrModifyTopics} with a growing delay; with
 * {@code spring.kafka.admin.modify-topic-configs=true} that also turns an auto-created topic into a compacted one.
 */
public final class TopicProvisioner implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);
    private static final Duration FIRST_DELAY = Duration.ofSeconds(1);
    private static final Duration MAX_DELAY = Duration.ofSeconds(30);

    private final KafkaAdmin admin;
    private final NewTopic[] topics;
    private ScheduledExecutorService scheduler;
    private volatile boolean provisioned;

    public TopicProvisioner(KafkaAdmin admin, List<NewTopic> topics) {
        this.admin = admin;
        this.topics = topics.toArray(NewTopic[]::new);
    }

    /** Whether the topics have been created or checked successfully. */
    public boolean provisioned() {
        return provisioned;
    }

    @Override
    public synchronized void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("meridian-topics").factory());
        scheduler.execute(() -> attempt(FIRST_DELAY));
    }

    private void attempt(Duration delay) {
        boolean ok;
        String why = null;
        try {
            // throws when the broker cannot be reached or does not answer in time
            admin.createOrModifyTopics(topics);
            ok = true;
        } catch (RuntimeException e) {
            ok = false;
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            why = root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
            log.debug("Topic provisioning failed", e);
        }
        if (ok) {
            provisioned = true;
            log.debug("Shared Kafka topics are in place");
            return;
        }
        log.warn("Could not create or check the shared Kafka topics yet ({}); retrying in {} s", why, delay.toSeconds());
        Duration next = delay.multipliedBy(2).compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay.multipliedBy(2);
        synchronized (this) {
            if (scheduler != null && !scheduler.isShutdown()) {
                scheduler.schedule(() -> attempt(next), delay.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public synchronized void stop() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return scheduler != null;
    }
}
