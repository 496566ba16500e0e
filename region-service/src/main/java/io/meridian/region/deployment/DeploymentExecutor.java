package io.meridian.region.deployment;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.meridian.common.events.EventTypes;
import io.meridian.common.problem.MeridianException;
import io.meridian.region.config.ConfigService;
import io.meridian.region.config.ManifestDiff;
import io.meridian.region.config.ManifestKind;
import io.meridian.region.config.ObjectRef;
import io.meridian.region.config.RenderException;
import io.meridian.region.config.Rendered;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Drives every region run to the end, one persisted step at a time: PENDING renders the objects
 * and fixes the revision; APPLYING creates or JSON-patches each object (and deletes the ones no
 * longer rendered), with retries and exponential backoff around the cluster calls; ROLLING_OUT reads
 * the Deployments' status until the cluster reports them rolled out, then SUCCEEDED, or FAILED
 * with the reason. Runs are claimed with a lease (holder and fencing token) from the database, so a
 * restarted instance resumes whatever was unfinished once the old leases expire, and two instances
 * never work on one region run at once. Regions run in parallel and independently: one region's
 * failure is recorded on that region only.
 */
@Component
public class DeploymentExecutor implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(DeploymentExecutor.class);

    private final DeploymentRepository repository;
    private final ConfigService config;
    private final RegionRegistry registry;
    private final Clusters clusters;
    private final DeploymentEvents events;
    private final AuditLog audit;
    private final TransactionTemplate tx;
    private final DeploymentProperties properties;
    private final MeterRegistry meters;
    private final DriftWatcher drift;
    private final RetryConfig retryConfig;
    private final Clock clock = Clock.systemUTC();
    private final Semaphore wakeups = new Semaphore(0);
    private final Map<String, Claim> inFlight = new ConcurrentHashMap<>();

    private volatile boolean running;
    private volatile String instanceId = "";
    private @Nullable ExecutorService workers;
    private @Nullable Thread loop;

    DeploymentExecutor(DeploymentRepository repository, ConfigService config, RegionRegistry registry, Clusters clusters,
            DeploymentEvents events, AuditLog audit, PlatformTransactionManager transactions, DeploymentProperties properties,
            MeterRegistry meters, DriftWatcher drift) {
        this.repository = repository;
        this.config = config;
        this.registry = registry;
        this.clusters = clusters;
        this.events = events;
        this.audit = audit;
        this.tx = new TransactionTemplate(transactions);
        this.properties = properties;
        this.meters = meters;
        this.drift = drift;
        DeploymentProperties.Retry retry = properties.retry();
        this.retryConfig = RetryConfig.custom()
                .maxAttempts(retry.maxAttempts())
                .intervalFunction(IntervalFunction.ofExponentialBackoff(retry.initialBackoff(), retry.multiplier(), retry.maxBackoff()))
                .retryOnException(failure -> failure instanceof ClusterException cluster && cluster.retryable())
                .build();
    }

    // ---- lifecycle ------------------------------------------------------------------------------

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        instanceId = properties.instanceId() != null ? properties.instanceId() : host() + "-" + UUID.randomUUID().toString().substring(0, 8);
        AtomicInteger n = new AtomicInteger();
        workers = Executors.newFixedThreadPool(properties.parallelism(),
                r -> Thread.ofPlatform().name("deploy-" + n.incrementAndGet()).daemon(true).unstarted(r));
        running = true;
        loop = Thread.ofPlatform().name("deploy-executor").daemon(true).start(this::loop);
        log.info("Deployment executor {} started: {} workers, leases of {}", instanceId, properties.parallelism(), properties.leaseDuration());
    }

    /** Stops taking work, lets running steps finish for a few seconds, and gives their leases up. */
    @Override
    public synchronized void stop() {
        if (!running) {
            return;
        }
        running = false;
        wakeups.release();
        ExecutorService pool = workers;
        if (pool != null) {
            pool.shutdown();
            try {
                if (!pool.awaitTermination(5, TimeUnit.SECONDS)) {
                    pool.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        inFlight.values().forEach(claim -> {
            try {
                repository.release(claim);
            } catch (RuntimeException e) {
                log.debug("Could not release {}: {}", claim.key(), e.getMessage());
            }
        });
        log.info("Deployment executor {} stopped", instanceId);
    }

    /**
     * Stops at once as a crash would: workers are interrupted and no lease is given up, so another
     * instance takes the unfinished runs over only when their leases expire.
     */
    synchronized void halt() {
        running = false;
        wakeups.release();
        if (workers != null) {
            workers.shutdownNow();
        }
        if (loop != null) {
            loop.interrupt();
        }
        log.warn("Deployment executor {} halted", instanceId);
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** This instance's name in leases. */
    String instanceId() {
        return instanceId;
    }

    /** Looks for work now rather than at the next poll. */
    public void wake() {
        wakeups.release();
    }

    private void loop() {
        while (running) {
            try {
                int free = properties.parallelism() - inFlight.size();
                if (free > 0) {
                    List<Claim> claims = repository.claim(instanceId, free, properties.leaseDuration(), clock.instant(), inFlight.keySet());
                    ExecutorService pool = workers;
                    for (Claim claim : claims) {
                        if (pool != null && inFlight.putIfAbsent(claim.key(), claim) == null) {
                            pool.execute(() -> run(claim));
                        }
                    }
                    if (!claims.isEmpty() && claims.size() == free) {
                        continue;
                    }
                }
                wakeups.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                log.warn("Deployment executor {} could not claim work: {}", instanceId, e.getMessage());
                try {
                    wakeups.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // ---- one run ---------------------------------------------------------------------------------

    /** Lost the lease: another instance owns the run now. */
    static final class LeaseLost extends RuntimeException {
        LeaseLost(Claim claim) {
            super("lease of " + claim.key() + " was taken over");
        }
    }

    private void run(Claim claim) {
        MDC.put("operation", claim.deploymentId().toString());
        MDC.put("region", claim.region().value());
        try {
            Claim current = claim;
            ClusterTarget target = target(claim);
            while (target != null && current != null && current.state().active() && running) {
                current = step(current, target);
            }
            if (current != null && running) {
                repository.release(current);
            }
        } catch (LeaseLost e) {
            log.info("{}", e.getMessage());
        } catch (RuntimeException e) {
            if (running) {
                log.error("Deployment {} in {} failed unexpectedly", claim.deploymentId(), claim.region(), e);
                try {
                    fail(claim, "InternalError", "unexpected failure: " + e, 0, null);
                } catch (RuntimeException ignored) {
                    log.debug("could not record the failure", ignored);
                }
            }
        } finally {
            inFlight.remove(claim.key());
            MDC.remove("operation");
            MDC.remove("region");
            wake();
        }
    }

    /** The region's cluster, read once per claimed run; null (and the run failed) when the region is gone. */
    private @Nullable ClusterTarget target(Claim claim) {
        try {
            return ClusterTarget.of(registry.get(claim.region()).region());
        } catch (MeridianException e) {
            fail(claim, "RegionNotRegistered", "region " + claim.region() + " is not registered any more", 0, null);
            return null;
        }
    }

    /** One step of the state machine; returns the claim in its next state, or null when the run waits or ended. */
    @Nullable
    Claim step(Claim claim, ClusterTarget target) {
        return switch (claim.state()) {
            case PENDING -> render(claim);
            case APPLYING -> apply(claim, target);
            case ROLLING_OUT -> checkRollout(claim, target);
            default -> null;
        };
    }

    private @Nullable Claim render(Claim claim) {
        JsonNode manifests;
        JsonNode values;
        String checksum;
        if (claim.sourceRevision() != null) {
            manifests = repository.revisionManifests(claim.service(), claim.region(), claim.sourceRevision()).orElse(null);
            values = repository.revisionValues(claim.service(), claim.region(), claim.sourceRevision()).orElse(null);
            if (manifests == null) {
                fail(claim, "RevisionMissing", "revision " + claim.sourceRevision() + " is gone", 0, null);
                return null;
            }
            checksum = "rollback-of-" + claim.sourceRevision();
        } else {
            Rendered rendered;
            try {
                rendered = config.renderRegistered(claim.service(), claim.region(), claim.version(), claim.namespace());
            } catch (RenderException e) {
                fail(claim, "RenderFailed", e.getMessage(), 0, null);
                return null;
            } catch (MeridianException e) {
                fail(claim, "RenderFailed", e.getMessage(), 0, null);
                return null;
            }
            ArrayNode list = JsonNodeFactory.instance.arrayNode();
            rendered.manifests().forEach(list::add);
            manifests = list;
            values = rendered.values();
            checksum = rendered.checksum();
        }
        Instant now = clock.instant();
        JsonNode fixed = manifests;
        Integer revision = tx.execute(status -> {
            // the revision row first: it numbers itself (one statement), and the transition below names the number
            int next = repository.insertRevision(claim.service(), claim.region(), claim.version(), claim.deploymentId(),
                    claim.sourceRevision(), checksum, fixed, values, now);
            String message = "applying revision " + next + " (" + fixed.size() + " objects)"
                    + (claim.sourceRevision() != null ? ", the objects of revision " + claim.sourceRevision() : "");
            if (!repository.transition(claim, RegionState.APPLYING, "Applying", message, 0, next, fixed, null, null, null, now, false, now)) {
                throw new LeaseLost(claim);
            }
            return next;
        });
        return claim.at(RegionState.APPLYING, revision, fixed, null, 0);
    }

    private @Nullable Claim apply(Claim claim, ClusterTarget target) {
        List<ObjectNode> desired = objects(claim);
        AtomicInteger attempts = new AtomicInteger();
        Retry retry = Retry.of("apply-" + claim.key(), retryConfig);
        retry.getEventPublisher().onRetry(event -> {
            log.info("Applying {} to {} failed (attempt {}), retrying in {}: {}", claim.service(), claim.region(),
                    event.getNumberOfRetryAttempts(), event.getWaitInterval(), event.getLastThrowable().getMessage());
            if (!repository.renew(claim, properties.leaseDuration(), clock.instant())) {
                throw new LeaseLost(claim);
            }
        });
        Supplier<ArrayNode> applyAll = Retry.decorateSupplier(retry, () -> {
            attempts.incrementAndGet();
            return applyObjects(claim, target, desired);
        });
        ArrayNode applied;
        try {
            applied = applyAll.get();
        } catch (ClusterException e) {
            meters.counter("meridian.deployments.apply.failures", "reason", e.failure().reason()).increment();
            fail(claim, e.failure().reason(), "applying to " + target.apiUrl() + " failed after " + attempts.get() + " attempt"
                    + (attempts.get() == 1 ? "" : "s") + ": " + e.getMessage(), attempts.get(), null);
            return null;
        }
        Instant now = clock.instant();
        String message = summary(applied);
        // Nothing changed: the rollout is already where it will be, check it at once. Else give the controller
        // a poll interval before the first look (and the lease back meanwhile).
        boolean changed = false;
        for (JsonNode entry : applied) {
            changed |= !ManifestDiff.Action.UNCHANGED.name().equals(entry.path("action").asString());
        }
        boolean wait = changed;
        tx.executeWithoutResult(status -> {
            if (!repository.transition(claim, RegionState.ROLLING_OUT, "WaitingForRollout", message, attempts.get(), null, null, applied,
                    null, now, wait ? now.plus(properties.readyPollInterval()) : now, wait, now)) {
                throw new LeaseLost(claim);
            }
            regionEvent(claim, RegionState.ROLLING_OUT, "WaitingForRollout", message, claim.revision(), claim.attempts() + attempts.get(),
                    now, null);
        });
        return wait ? null : claim.at(RegionState.ROLLING_OUT, null, null, now, attempts.get());
    }

    /**
     * Creates or patches every object, then deletes the service's objects no longer rendered. Idempotent. An object no
     * earlier revision rendered is created straight away, and read and diffed only if the cluster has it already (409):
     * a first deployment costs one request per object instead of two, which on 200 regions is most of the traffic.
     */
    private ArrayNode applyObjects(Claim claim, ClusterTarget target, List<ObjectNode> desired) {
        ArrayNode applied = JsonNodeFactory.instance.arrayNode();
        Set<ObjectRef> wanted = new HashSet<>();
        // Objects earlier revisions rendered: those this one no longer renders are deleted (an HPA switched off, a
        // renamed ConfigMap); those it renders again are read before they are written.
        Set<ObjectRef> earlier = new java.util.LinkedHashSet<>();
        // revision 1 has no earlier revision to ask about
        if (claim.revision() != null && claim.revision() > 1) {
            repository.earlierManifests(claim.service(), claim.region(), claim.revision())
                    .forEach(list -> list.forEach(manifest -> earlier.add(ObjectRef.of(manifest))));
        }
        long renewed = System.nanoTime();
        for (ObjectNode object : desired) {
            if (System.nanoTime() - renewed > properties.leaseDuration().toNanos() / 3) {
                renewOrStop(claim);
                renewed = System.nanoTime();
            }
            ObjectRef ref = ObjectRef.of(object);
            wanted.add(ref);
            ManifestDiff.ObjectDiff diff = earlier.contains(ref) ? null : createIfAbsent(claim, target, object);
            if (diff == null) {
                diff = ManifestDiff.diff(object, clusters.get(target, claim.namespace(), ref).orElse(null));
                switch (diff.action()) {
                    case CREATE -> clusters.create(target, claim.namespace(), ManifestDiff.withLastApplied(object));
                    case UPDATE -> clusters.patch(target, claim.namespace(), ref, diff.patch());
                    default -> {
                    }
                }
            }
            ObjectNode entry = applied.addObject().put("object", ref.toString()).put("action", diff.action().name());
            if (diff.action() == ManifestDiff.Action.UPDATE) {
                entry.put("fields", diff.changes().size());
            }
        }
        for (ObjectRef ref : earlier) {
            if (!wanted.contains(ref) && clusters.delete(target, claim.namespace(), ref)) {
                applied.addObject().put("object", ref.toString()).put("action", ManifestDiff.Action.DELETE.name());
            }
        }
        // No renewal here: the transition that records this result is fenced by the lease token itself.
        return applied;
    }

    /** Creates {@code object}; null when the cluster has one of that name already (it is then read and diffed). */
    private ManifestDiff.@Nullable ObjectDiff createIfAbsent(Claim claim, ClusterTarget target, ObjectNode object) {
        try {
            clusters.create(target, claim.namespace(), ManifestDiff.withLastApplied(object));
            return ManifestDiff.diff(object, null);
        } catch (ClusterException e) {
            if (e.failure() == ClusterException.Failure.CONFLICT) {
                return null;
            }
            throw e;
        }
    }

    private @Nullable Claim checkRollout(Claim claim, ClusterTarget target) {
        List<ObjectNode> desired = objects(claim);
        Instant now = clock.instant();
        RolloutStatus status;
        try {
            List<RolloutStatus> statuses = new ArrayList<>();
            for (ObjectNode object : desired) {
                ObjectRef ref = ObjectRef.of(object);
                if (ref.kind() == ManifestKind.DEPLOYMENT) {
                    statuses.add(RolloutStatus.of(clusters.get(target, claim.namespace(), ref).orElse(null), ref.name(),
                            fallbackReplicas(desired, ref.name())));
                }
            }
            status = RolloutStatus.combine(statuses);
        } catch (ClusterException e) {
            status = new RolloutStatus(RolloutStatus.Phase.PROGRESSING, e.failure().reason(), "cannot read the rollout status: "
                    + e.getMessage(), JsonNodeFactory.instance.objectNode());
        }
        if (status.phase() == RolloutStatus.Phase.READY) {
            succeed(claim, status);
            return null;
        }
        if (status.phase() == RolloutStatus.Phase.FAILED) {
            fail(claim, status.reason(), status.message(), 0, status.snapshot());
            return null;
        }
        Instant started = claim.rolloutStartedAt() == null ? now : claim.rolloutStartedAt();
        if (now.isAfter(started.plus(properties.readyTimeout()))) {
            fail(claim, "RolloutTimedOut", "not rolled out within " + properties.readyTimeout() + ": " + status.message(), 0,
                    status.snapshot());
            return null;
        }
        RolloutStatus waiting = status;
        tx.executeWithoutResult(s -> {
            if (!repository.transition(claim, RegionState.ROLLING_OUT, "WaitingForRollout", waiting.message(), 0, null, null, null,
                    waiting.snapshot().isEmpty() ? null : waiting.snapshot(), null, now.plus(properties.readyPollInterval()), true, now)) {
                throw new LeaseLost(claim);
            }
        });
        return null;
    }

    private void succeed(Claim claim, RolloutStatus status) {
        Instant now = clock.instant();
        tx.executeWithoutResult(s -> {
            if (!repository.transition(claim, RegionState.SUCCEEDED, "RolloutComplete", status.message(), 0, null, null, null,
                    status.snapshot(), null, now, true, now)) {
                throw new LeaseLost(claim);
            }
            if (claim.revision() != null) {
                repository.deployRevision(claim.service(), claim.region(), claim.revision(), now);
            }
            Deployment deployment = repository.finishRegion(claim.deploymentId(), false, now);
            audit.record("deployment.region.succeeded", "deployment/" + claim.deploymentId(), deployment.reason(),
                    AuditRecord.Outcome.SUCCEEDED, claim.service() + " " + claim.version() + " in " + claim.region() + " is revision "
                            + claim.revision() + ": " + status.message(), null, status.snapshot());
            regionEvent(claim, RegionState.SUCCEEDED, "RolloutComplete", status.message(), claim.revision(), claim.attempts(), now, deployment);
            finishedEvent(deployment);
        });
        meters.counter("meridian.deployments.regions", "outcome", "succeeded").increment();
        drift.ensureWatching(claim.region());
    }

    private void fail(Claim claim, String reason, String message, int attempts, @Nullable ObjectNode cluster) {
        Instant now = clock.instant();
        log.warn("Deployment {} of {} in {} failed: {} {}", claim.deploymentId(), claim.service(), claim.region(), reason, message);
        tx.executeWithoutResult(s -> {
            if (!repository.transition(claim, RegionState.FAILED, reason, message, attempts, null, null, null, cluster, null, now, true, now)) {
                throw new LeaseLost(claim);
            }
            if (claim.revision() != null) {
                repository.setRevisionStatus(claim.service(), claim.region(), claim.revision(), RevisionStatus.FAILED, now);
            }
            Deployment deployment = repository.finishRegion(claim.deploymentId(), true, now);
            audit.record("deployment.region.failed", "deployment/" + claim.deploymentId(), deployment.reason(), AuditRecord.Outcome.FAILED,
                    claim.service() + " " + claim.version() + " in " + claim.region() + ": " + reason + ": " + message, null, null);
            regionEvent(claim, RegionState.FAILED, reason, message, claim.revision(), claim.attempts() + attempts, now, deployment);
            finishedEvent(deployment);
        });
        meters.counter("meridian.deployments.regions", "outcome", "failed").increment();
    }

    /** Publishes a region's change: the deployment's header with that region only (a deployment may have hundreds). */
    private void regionEvent(Claim claim, RegionState state, String reason, @Nullable String message, @Nullable Integer revision,
            int attempts, Instant now, @Nullable Deployment header) {
        // Before the region finished the deployment cannot have: it is RUNNING, and the claim knows the rest.
        Deployment h = header != null ? header : new Deployment(claim.deploymentId(), claim.kind(), claim.service(), claim.version(),
                claim.namespace(), DeploymentState.RUNNING, claim.requestedBy(), claim.reason(), 0, claim.createdAt(), now, null, List.of());
        RegionRun run = new RegionRun(claim.region(), state, reason, message, attempts, revision, claim.sourceRevision(), null, null, now,
                state.active() ? null : now);
        Deployment changed = new Deployment(h.id(), h.kind(), h.service(), h.version(), h.namespace(), h.state(), h.requestedBy(), h.reason(),
                h.entityVersion(), h.createdAt(), h.updatedAt(), h.finishedAt(), List.of(run));
        if (header != null) {
            events.publish(EventTypes.DEPLOYMENT_REGION_CHANGED, changed, claim.region(), header.entityVersion());
        } else {
            events.publishAtNextVersion(EventTypes.DEPLOYMENT_REGION_CHANGED, changed, claim.region(), now);
        }
    }

    /** Once every region finished: the whole deployment. */
    private void finishedEvent(Deployment header) {
        if (header.state() != DeploymentState.RUNNING) {
            long version = repository.nextVersion(header.id(), header.updatedAt());
            events.publish(EventTypes.DEPLOYMENT_FINISHED, repository.find(header.id()).orElseThrow(), null, version);
        }
    }

    private void renewOrStop(Claim claim) {
        if (!repository.renew(claim, properties.leaseDuration(), clock.instant())) {
            throw new LeaseLost(claim);
        }
    }

    private static List<ObjectNode> objects(Claim claim) {
        List<ObjectNode> objects = new ArrayList<>();
        if (claim.manifests() != null) {
            claim.manifests().forEach(node -> objects.add((ObjectNode) node));
        }
        return objects;
    }

    /** Replicas a Deployment without spec.replicas should reach: its HPA's minimum, else 1. */
    private static int fallbackReplicas(List<ObjectNode> objects, String deployment) {
        for (ObjectNode object : objects) {
            if (ObjectRef.of(object).kind() == ManifestKind.HORIZONTAL_POD_AUTOSCALER
                    && deployment.equals(object.path("spec").path("scaleTargetRef").path("name").asString())) {
                return object.path("spec").path("minReplicas").asInt(1);
            }
        }
        return 1;
    }

    private static String summary(ArrayNode applied) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        applied.forEach(entry -> counts.merge(entry.path("action").asString().toLowerCase(java.util.Locale.ROOT), 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((action, count) -> parts.add(count + " " + action));
        return "applied (" + String.join(", ", parts) + "); waiting for the rollout";
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "region-service";
        }
    }
}
