package io.meridian.region.deployment;

import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import io.meridian.common.deployment.DriftDetected;
import io.meridian.common.region.RegionId;
import io.meridian.region.config.ManifestDiff;
import io.meridian.region.config.ObjectRef;
import io.meridian.region.config.Renderer;
import io.meridian.region.config.ValueRules;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Finds out-of-band changes of deployed objects. One watch per region that runs a release sees every
 * change of the objects Meridian manages there (and, when it starts, every object already there). A
 * change is screened in memory first: an object that still matches what Meridian last applied to it
 * (status updates, Meridian's own writes) is not drift. The others (changed, deleted, or stripped of
 * their last-applied record) are compared, three ways as when applying, with the object of the
 * DEPLOYED revision. A difference is drift: with policy {@code report} it is recorded (once per
 * distinct difference), with {@code correct} the revision's object is applied again. The policy is
 * the release's {@code drift.policy} value, else {@code meridian.deployments.drift-policy}. Objects
 * of a service with an unfinished deployment in that region are left to the deployment, and an
 * object left by a failed deployment is not drift (it matches what Meridian applied). Only the holder
 * of the {@value #LEASE} lease acts, so two instances do not both correct or report. Watches can miss
 * changes (made while a watch was reconnecting, or a cluster restored from an older backup, whose
 * re-list shows no deletion), so every {@code meridian.deployments.drift-resync} each deployed object
 * of every watched region is read and compared with its revision again, whatever the watch saw.
 */
@Component
public class DriftWatcher implements SmartLifecycle {

    static final String LEASE = "drift-watcher";
    private static final Logger log = LoggerFactory.getLogger(DriftWatcher.class);
    private static final Duration LEASE_DURATION = Duration.ofSeconds(30);

    private final DeploymentRepository repository;
    private final RegionRegistry registry;
    private final Clusters clusters;
    private final DeploymentEvents events;
    private final AuditLog audit;
    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final TransactionTemplate tx;
    private final DeploymentProperties properties;
    private final MeterRegistry meters;
    private final Clock clock = Clock.systemUTC();
    private final Map<RegionId, Clusters.Watch> watches = new ConcurrentHashMap<>();
    private final String holder = "drift-" + UUID.randomUUID().toString().substring(0, 8);

    private final Map<String, Suspect> pending = new ConcurrentHashMap<>();
    private final java.util.concurrent.BlockingQueue<String> queue = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.Set<RegionId> starting = ConcurrentHashMap.newKeySet();

    private volatile boolean running;
    private volatile boolean leader;
    private volatile Instant lastResync = Instant.EPOCH;
    private @Nullable Thread checker;
    private @Nullable ExecutorService watchStarter;
    private @Nullable ScheduledExecutorService leases;

    DriftWatcher(DeploymentRepository repository, RegionRegistry registry, Clusters clusters, DeploymentEvents events, AuditLog audit,
            JdbcClient jdbc, ObjectMapper json, PlatformTransactionManager transactions, DeploymentProperties properties, MeterRegistry meters) {
        this.repository = repository;
        this.registry = registry;
        this.clusters = clusters;
        this.events = events;
        this.audit = audit;
        this.jdbc = jdbc;
        this.json = json;
        this.tx = new TransactionTemplate(transactions);
        this.properties = properties;
        this.meters = meters;
    }

    /**
     * One finding.
     *
     * @param id         its id
     * @param service    the service
     * @param region     the region
     * @param revision   the deployed revision the object should match
     * @param object     the object ({@code Deployment/checkout})
     * @param policy     correct or report
     * @param action     REPORTED, CORRECTED or CORRECTION_FAILED
     * @param changes    the fields that differed: live value ({@code before}) and the revision's ({@code after})
     * @param detail     what correcting did, or why it failed
     * @param detectedAt when it was found
     */
    public record Finding(long id, String service, RegionId region, int revision, String object, String policy, String action,
            JsonNode changes, @Nullable String detail, Instant detectedAt) {
    }

    @Override
    public synchronized void start() {
        if (running || !properties.driftWatch()) {
            return;
        }
        running = true;
        checker = Thread.ofPlatform().name("drift-checker").daemon(true).start(this::checkLoop);
        watchStarter = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("drift-watch-start").daemon(true).unstarted(r));
        leases = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("drift-lease").daemon(true).unstarted(r));
        leases.scheduleWithFixedDelay(this::maintain, 0, LEASE_DURATION.toSeconds() / 3, TimeUnit.SECONDS);
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (leases != null) {
            leases.shutdownNow();
        }
        if (watchStarter != null) {
            watchStarter.shutdownNow();
        }
        if (checker != null) {
            checker.interrupt();
        }
        closeWatches();
        if (leader) {
            jdbc.sql("DELETE FROM leases WHERE name = :name AND holder = :holder").param("name", LEASE).param("holder", holder).update();
            leader = false;
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Starts watching {@code region} if this instance leads and does not watch it yet (in the background). */
    public void ensureWatching(RegionId region) {
        ExecutorService starter = watchStarter;
        if (!running || !leader || watches.containsKey(region) || starter == null || !starting.add(region)) {
            return;
        }
        starter.execute(() -> {
            try {
                startWatch(region);
            } finally {
                starting.remove(region);
            }
        });
    }

    /** Regions being watched. */
    public List<RegionId> watching() {
        return watches.keySet().stream().sorted().toList();
    }

    /**
     * A change worth a closer look: the object no longer matches what Meridian last applied to it (its
     * {@value ManifestDiff#LAST_APPLIED} annotation), lost that annotation, or was deleted.
     *
     * @param target  the cluster
     * @param type    the change
     * @param ref     the object
     * @param service the service it belongs to (its label)
     */
    record Suspect(ClusterTarget target, Clusters.ObjectEvent.Type type, ObjectRef ref, String service) {
    }

    /**
     * Screens a change on the watch's thread, without the database: an object that still matches its
     * own last-applied record (status updates, Meridian's own writes) is not drift and is dropped.
     * Suspects are queued small (no object copy), and suspects of one object coalesce, so the queue
     * never outgrows the number of objects.
     */
    private void enqueue(Clusters.ObjectEvent event) {
        if (!running || !leader) {
            return;
        }
        Suspect suspect = screen(event);
        if (suspect != null) {
            String key = event.target().region() + "/" + event.ref();
            if (pending.put(key, suspect) == null) {
                queue.add(key);
            }
        }
    }

    static @Nullable Suspect screen(Clusters.ObjectEvent event) {
        JsonNode object = event.object();
        String service = object == null ? null : object.path("metadata").path("labels").path(Renderer.SERVICE_LABEL).asString(null);
        if (service == null) {
            return null;
        }
        if (event.type() != Clusters.ObjectEvent.Type.DELETED && object instanceof ObjectNode live) {
            if (ManifestDiff.matchesLastApplied(live)) {
                return null;
            }
        }
        return new Suspect(event.target(), event.type(), event.ref(), service);
    }

    private void checkLoop() {
        while (running) {
            try {
                String key = queue.take();
                Suspect suspect = pending.remove(key);
                if (suspect != null) {
                    handle(suspect);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.warn("Drift check failed: {}", e.getMessage());
            }
        }
    }

    /** Findings, newest first, optionally only of {@code service} and/or {@code region}. */
    public List<Finding> findings(@Nullable String service, @Nullable RegionId region, int limit) {
        return jdbc.sql("""
                SELECT * FROM drift_findings
                WHERE (CAST(:service AS text) IS NULL OR service = :service) AND (CAST(:region AS text) IS NULL OR region = :region)
                ORDER BY id DESC LIMIT :limit
                """).param("service", service).param("region", region == null ? null : region.value()).param("limit", limit)
                .query((rs, row) -> new Finding(rs.getLong("id"), rs.getString("service"), RegionId.of(rs.getString("region")),
                        rs.getInt("revision"), rs.getString("object_kind") + "/" + rs.getString("object_name"), rs.getString("policy"),
                        rs.getString("action"), json.readTree(rs.getString("changes")), rs.getString("detail"),
                        rs.getTimestamp("detected_at").toInstant())).list();
    }

    /** Holds (or takes) the lease, then keeps a live watch on every region that runs a release. */
    private void maintain() {
        try {
            Instant now = clock.instant();
            boolean held = jdbc.sql("""
                    INSERT INTO leases (name, holder, token, expires_at) VALUES (:name, :holder, 1, :until)
                    ON CONFLICT (name) DO UPDATE SET holder = :holder, expires_at = :until,
                        token = CASE WHEN leases.holder = :holder THEN leases.token ELSE leases.token + 1 END
                    WHERE leases.holder = :holder OR leases.expires_at < :now
                    """).param("name", LEASE).param("holder", holder).param("until", Timestamp.from(now.plus(LEASE_DURATION)))
                    .param("now", Timestamp.from(now)).update() == 1;
            if (held && !leader) {
                leader = true;
                log.info("Drift watcher {} leads; watching regions with releases", holder);
            } else if (!held && leader) {
                leader = false;
                log.warn("Drift watcher {} lost its lease; stops watching", holder);
                closeWatches();
            }
            if (leader) {
                watches.entrySet().removeIf(entry -> {
                    if (!entry.getValue().isOpen()) {
                        entry.getValue().close();
                        return true;
                    }
                    return false;
                });
                repository.regionsWithReleases().forEach(this::ensureWatching);
                Duration every = properties.driftResync();
                if (!every.isZero() && !now.isBefore(lastResync.plus(every))) {
                    lastResync = now;
                    resync();
                }
            }
        } catch (RuntimeException e) {
            log.warn("Drift watcher could not renew its lease: {}", e.getMessage());
        }
    }

    /**
     * Queues every deployed object of every region that runs a release as a suspect: each is then read from its
     * cluster and compared with its revision (a missing one is a deletion). Coalesces with suspects already queued.
     */
    int resync() {
        int queued = 0;
        List<RegionId> regions = repository.regionsWithReleases();
        for (RegionId region : regions) {
            try {
                ClusterTarget target = ClusterTarget.of(registry.get(region).region());
                for (Map.Entry<String, List<ObjectRef>> service : repository.deployedObjects(region).entrySet()) {
                    for (ObjectRef ref : service.getValue()) {
                        String key = region + "/" + ref;
                        if (pending.put(key, new Suspect(target, Clusters.ObjectEvent.Type.MODIFIED, ref, service.getKey())) == null) {
                            queue.add(key);
                        }
                        queued++;
                    }
                }
            } catch (RuntimeException e) {
                log.warn("Cannot re-check {} for drift now: {}", region, e.getMessage());
            }
        }
        log.info("Drift re-check: {} deployed object(s) in {} region(s) queued", queued, regions.size());
        return queued;
    }

    private void startWatch(RegionId region) {
        if (!running || watches.containsKey(region)) {
            return;
        }
        try {
            ClusterTarget target = ClusterTarget.of(registry.get(region).region());
            watches.put(region, clusters.watch(target, properties.namespace(), this::enqueue));
            log.info("Watching {} for drift", region);
        } catch (RuntimeException e) {
            log.warn("Cannot watch {} for drift yet (retrying): {}", region, e.getMessage());
        }
    }

    private void closeWatches() {
        watches.values().forEach(watch -> {
            try {
                watch.close();
            } catch (RuntimeException e) {
                log.debug("closing a watch failed", e);
            }
        });
        watches.clear();
        pending.clear();
        queue.clear();
    }

    /** Compares a suspect object with its deployed revision and acts on the policy. */
    void handle(Suspect event) {
        try {
            String service = event.service();
            RegionId region = event.target().region();
            if (repository.hasActiveRun(service, region)) {
                return;
            }
            Optional<Revision> deployed = repository.deployed(service, region).stream().findFirst();
            if (deployed.isEmpty()) {
                return;
            }
            Revision revision = deployed.get();
            ObjectNode desired = null;
            for (JsonNode manifest : repository.revisionManifests(service, region, revision.revision()).orElseThrow()) {
                if (ObjectRef.of(manifest).equals(event.ref())) {
                    desired = (ObjectNode) manifest;
                }
            }
            if (desired == null) {
                return;
            }
            JsonNode live = event.type() == Clusters.ObjectEvent.Type.DELETED ? null
                    : clusters.get(event.target(), properties.namespace(), event.ref()).orElse(null);
            ManifestDiff.ObjectDiff diff = ManifestDiff.diff(desired, live);
            if (diff.action() == ManifestDiff.Action.UNCHANGED) {
                return;
            }
            String policy = repository.revisionValues(service, region, revision.revision()).map(v -> v.path("drift").path("policy").asString(""))
                    .filter(ValueRules.DRIFT_POLICIES::contains).orElse(properties.driftPolicy());
            act(service, region, revision.revision(), event.target(), desired, diff, policy);
        } catch (RuntimeException e) {
            log.warn("Could not check {} in {} for drift: {}", event.ref(), event.target().region(), e.getMessage());
        }
    }

    private void act(String service, RegionId region, int revision, ClusterTarget target, ObjectNode desired, ManifestDiff.ObjectDiff diff,
            String policy) {
        JsonNode changes = diff.action() == ManifestDiff.Action.CREATE
                ? json.createArrayNode().add(json.createObjectNode().put("field", "(deleted)").put("op", "REMOVE"))
                : json.valueToTree(diff.changes());
        String fingerprint = sha(diff.object() + json.writeValueAsString(changes));
        if ("report".equals(policy) && alreadyReported(service, region, diff.object(), fingerprint)) {
            return;
        }
        String action = "REPORTED";
        String detail = null;
        if ("correct".equals(policy)) {
            try {
                if (diff.action() == ManifestDiff.Action.CREATE) {
                    clusters.create(target, properties.namespace(), ManifestDiff.withLastApplied(desired));
                    detail = "re-created from revision " + revision;
                } else {
                    clusters.patch(target, properties.namespace(), diff.object(), diff.patch());
                    detail = "patched " + diff.changes().size() + " field(s) back to revision " + revision;
                }
                action = "CORRECTED";
            } catch (ClusterException e) {
                action = "CORRECTION_FAILED";
                detail = e.failure().reason() + ": " + e.getMessage();
            }
        }
        List<String> fields = diff.action() == ManifestDiff.Action.CREATE ? List.of("(deleted)")
                : diff.changes().stream().map(ManifestDiff.FieldChange::field).toList();
        Instant now = clock.instant();
        String finalAction = action;
        String finalDetail = detail;
        log.warn("Drift of {} in {} ({}): {} -> {}", diff.object(), region, service, fields, action);
        tx.executeWithoutResult(status -> {
            long id = jdbc.sql("""
                    INSERT INTO drift_findings (service, region, revision, object_kind, object_name, policy, action, changes, fingerprint, detail, detected_at)
                    VALUES (:service, :region, :revision, :kind, :name, :policy, :action, CAST(:changes AS jsonb), :fingerprint, :detail, :at)
                    RETURNING id
                    """).param("service", service).param("region", region.value()).param("revision", revision)
                    .param("kind", diff.object().kind().kind()).param("name", diff.object().name()).param("policy", policy)
                    .param("action", finalAction).param("changes", json.writeValueAsString(changes)).param("fingerprint", fingerprint)
                    .param("detail", finalDetail).param("at", Timestamp.from(now)).query(Long.class).single();
            audit.record("deployment.drift." + finalAction.toLowerCase(java.util.Locale.ROOT), "release/" + service + "/" + region, null,
                    "CORRECTION_FAILED".equals(finalAction) ? AuditRecord.Outcome.FAILED : AuditRecord.Outcome.SUCCEEDED,
                    diff.object() + ": " + String.join(", ", fields) + (finalDetail == null ? "" : "; " + finalDetail), changes, desired);
            events.drift(new DriftDetected(service, region, revision, diff.object().toString(), fields, policy, finalAction, now), id);
        });
        meters.counter("meridian.deployments.drift", "action", action.toLowerCase(java.util.Locale.ROOT)).increment();
    }

    private boolean alreadyReported(String service, RegionId region, ObjectRef object, String fingerprint) {
        return jdbc.sql("""
                SELECT fingerprint FROM drift_findings WHERE service = :service AND region = :region AND object_kind = :kind AND object_name = :name
                ORDER BY id DESC LIMIT 1
                """).param("service", service).param("region", region.value()).param("kind", object.kind().kind()).param("name", object.name())
                .query(String.class).optional().filter(fingerprint::equals).isPresent();
    }

    private static String sha(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
