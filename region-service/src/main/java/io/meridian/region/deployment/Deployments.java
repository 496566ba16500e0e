package io.meridian.region.deployment;

import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.support.tx.AfterCommit;
import io.meridian.common.events.EventTypes;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems.FieldError;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.region.config.InvalidFieldsException;
import io.meridian.region.config.Renderer;
import io.meridian.region.config.ServiceName;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Starts deployments, retries and rollbacks, and answers queries about them. Starting one only
 * records it (PENDING in every region) and wakes the executor; the executor does the work.
 */
@Service
public class Deployments {

    /** Problem type of a deployment refused because another one of the service is unfinished in a region. */
    static final URI IN_PROGRESS = ProblemTypes.of("deployment-in-progress");
    /** Problem type of a rollback without a revision to go back to. */
    static final URI NO_PREVIOUS_REVISION = ProblemTypes.of("no-previous-revision");
    /** Problem type of a retry of a deployment with no failed region. */
    static final URI NOTHING_TO_RETRY = ProblemTypes.of("nothing-to-retry");
    /** Most regions one deployment may name. */
    static final int MAX_REGIONS = 1000;

    private final DeploymentRepository repository;
    private final RegionRegistry registry;
    private final DeploymentExecutor executor;
    private final DeploymentEvents events;
    private final AuditLog audit;
    private final DeploymentProperties properties;
    private final Clock clock = Clock.systemUTC();

    Deployments(DeploymentRepository repository, RegionRegistry registry, DeploymentExecutor executor, DeploymentEvents events,
            AuditLog audit, DeploymentProperties properties) {
        this.repository = repository;
        this.registry = registry;
        this.executor = executor;
        this.events = events;
        this.audit = audit;
        this.properties = properties;
    }

    /**
     * Deploys {@code service} at {@code version} to {@code regions}: validates everything (every bad
     * field named), refuses regions where the service has an unfinished deployment (409), records it.
     */
    @Transactional
    public Deployment deploy(@Nullable String service, @Nullable String version, @Nullable List<String> regions, @Nullable String reason) {
        List<FieldError> errors = new ArrayList<>();
        if (service == null || !ServiceName.isValid(service)) {
            errors.add(new FieldError("service", "must be a DNS-1123 label: 1-63 lowercase letters, digits or '-', starting with a letter"));
        }
        try {
            Renderer.requireVersion(version);
        } catch (MeridianException e) {
            errors.add(new FieldError("version", ((io.meridian.common.problem.InvalidFieldException) e).reason()));
        }
        List<RegionId> targets = new ArrayList<>();
        Map<RegionId, RegionStatus> registered = new java.util.HashMap<>();
        registry.list(null, null).forEach(r -> registered.put(r.region().id(), r.region().status()));
        if (regions == null || regions.isEmpty()) {
            errors.add(new FieldError("regions", "must name at least one region"));
        } else if (regions.size() > MAX_REGIONS) {
            errors.add(new FieldError("regions", "must name at most " + MAX_REGIONS + " regions"));
        } else {
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < regions.size(); i++) {
                String id = regions.get(i);
                String field = "regions[" + i + "]";
                if (id == null || !RegionId.isValid(id)) {
                    errors.add(new FieldError(field, "must be a region id like eu-west-1"));
                } else if (!seen.add(id)) {
                    errors.add(new FieldError(field, "names " + id + " twice"));
                } else {
                    RegionStatus status = registered.get(RegionId.of(id));
                    if (status == null) {
                        errors.add(new FieldError(field, "no region " + id + " is registered"));
                    } else if (status == RegionStatus.FAILED) {
                        errors.add(new FieldError(field, id + " is FAILED; recover it before deploying to it"));
                    } else {
                        targets.add(RegionId.of(id));
                    }
                }
            }
        }
        InvalidFieldsException.throwIfAny(errors);
        return start(DeploymentKind.DEPLOY, service, version, targets, null, reason, "deployment.create", null);
    }

    /** Puts the failed regions of a deployment back to work (rendered ones re-apply the same objects). */
    @Transactional
    public Deployment retry(UUID id, @Nullable Long expectedVersion, @Nullable String reason) {
        repository.lock(id);
        Deployment deployment = get(id);
        if (expectedVersion != null && expectedVersion != deployment.entityVersion()) {
            throw MeridianException.preconditionFailed("Deployment " + id + " is at version " + deployment.entityVersion() + ", not "
                    + expectedVersion).with("currentVersion", deployment.entityVersion());
        }
        List<RegionId> failed = deployment.regions().stream().filter(run -> run.state() == RegionState.FAILED).map(RegionRun::region).toList();
        if (failed.isEmpty()) {
            throw new MeridianException(NOTHING_TO_RETRY, 409, "Nothing to retry", "Deployment " + id + " has no failed region")
                    .with("state", deployment.state().name());
        }
        List<RegionId> newer = new ArrayList<>();
        for (RegionRun run : deployment.regions()) {
            if (run.state() == RegionState.FAILED) {
                List<Revision> revisions = repository.revisions(deployment.service(), run.region());
                if (!revisions.isEmpty() && run.revision() != null && revisions.getFirst().revision() > run.revision()
                        || run.revision() == null && revisions.stream().anyMatch(r -> r.createdAt().isAfter(deployment.createdAt()))) {
                    newer.add(run.region());
                }
            }
        }
        if (!newer.isEmpty()) {
            throw MeridianException.conflict(IN_PROGRESS, "Superseded", "A newer deployment of " + deployment.service() + " ran in "
                    + newer + " since; deploy again instead of retrying this one").with("regions", newer.stream().map(RegionId::value).toList());
        }
        conflicts(deployment.service(), failed);
        Instant now = clock.instant();
        List<RegionId> retried;
        try {
            retried = repository.retryFailed(id, failed, now);
        } catch (DuplicateKeyException e) {
            throw conflictRace(deployment.service());
        }
        for (RegionRun run : deployment.regions()) {
            if (retried.contains(run.region()) && run.revision() != null) {
                repository.setRevisionStatus(deployment.service(), run.region(), run.revision(), RevisionStatus.PENDING, now);
            }
        }
        Deployment after = repository.reopen(id, retried.size(), now);
        audit.record("deployment.retry", "deployment/" + id, reason, AuditRecord.Outcome.SUCCEEDED, "retrying " + retried, deployment, after);
        events.publish(EventTypes.DEPLOYMENT_STARTED, after, null, after.entityVersion());
        wakeAfterCommit();
        return after;
    }

    /**
     * Rolls {@code service} in {@code region} back: to {@code toRevision}, or else to the revision
     * before the newest one (the one that ran before the current release, or the current one when the
     * newest failed). The objects of that revision are applied again as a new revision.
     */
    @Transactional
    public Deployment rollback(String service, RegionId region, @Nullable Integer toRevision, @Nullable String reason) {
        ServiceName.require("service", service);
        registry.get(region);
        List<Revision> revisions = repository.revisions(service, region);
        if (revisions.isEmpty()) {
            throw MeridianException.notFound("release of " + service + " in region", region.value());
        }
        Revision newest = revisions.getFirst();
        Revision target = null;
        if (toRevision != null) {
            target = revisions.stream().filter(r -> r.revision() == toRevision).findFirst().orElseThrow(() ->
                    new io.meridian.common.problem.InvalidFieldException("toRevision", "no revision " + toRevision + " of " + service + " in "
                            + region + "; it has " + revisions.stream().map(Revision::revision).toList()));
            if (target.status() == RevisionStatus.PENDING) {
                throw new io.meridian.common.problem.InvalidFieldException("toRevision", "revision " + toRevision + " is still being applied");
            }
        } else {
            for (Revision candidate : revisions.subList(1, revisions.size())) {
                if (candidate.status() == RevisionStatus.DEPLOYED || candidate.status() == RevisionStatus.SUPERSEDED) {
                    target = candidate;
                    break;
                }
            }
        }
        if (target == null) {
            throw MeridianException.conflict(NO_PREVIOUS_REVISION, "No previous revision", service + " in " + region
                    + " has no earlier revision that ran; its revisions: " + revisions.stream().map(r -> r.revision() + " " + r.status()).toList())
                    .with("currentRevision", newest.revision());
        }
        return start(DeploymentKind.ROLLBACK, service, target.version(), List.of(region), target.revision(), reason, "deployment.rollback",
                Map.of("from", newest.revision(), "fromVersion", newest.version(), "to", target.revision(), "toVersion", target.version()));
    }

    public Deployment get(UUID id) {
        return repository.find(id).orElseThrow(() -> MeridianException.notFound("deployment", id.toString()));
    }

    public List<Deployment> list(@Nullable String service, @Nullable RegionId region, @Nullable DeploymentState state, int limit) {
        if (service != null) {
            ServiceName.require("service", service);
        }
        if (limit < 1 || limit > 500) {
            throw new io.meridian.common.problem.InvalidFieldException("limit", "must be from 1 to 500");
        }
        return repository.list(service, region, state, limit);
    }

    /** Revisions of a service in a region, newest first. */
    public List<Revision> revisions(String service, RegionId region) {
        ServiceName.require("service", service);
        return repository.revisions(service, region);
    }

    private Deployment start(DeploymentKind kind, String service, String version, List<RegionId> regions, @Nullable Integer source,
            @Nullable String reason, String action, @Nullable Object before) {
        conflicts(service, regions);
        UUID id = UUID.randomUUID();
        Instant now = clock.instant();
        try {
            repository.insert(id, kind, service, version, properties.namespace(), actor(), reason, regions, source, now);
        } catch (DuplicateKeyException e) {
            throw conflictRace(service);
        }
        Deployment deployment = get(id);
        audit.record(action, "deployment/" + id, reason, AuditRecord.Outcome.SUCCEEDED, kind + " " + service + " " + version + " to "
                + regions, before, deployment);
        events.publish(EventTypes.DEPLOYMENT_STARTED, deployment, null, deployment.entityVersion());
        wakeAfterCommit();
        return deployment;
    }

    private void conflicts(String service, List<RegionId> regions) {
        Map<RegionId, UUID> active = repository.activeRuns(service, regions);
        if (!active.isEmpty()) {
            Map<String, String> blocking = new java.util.TreeMap<>();
            active.forEach((region, deployment) -> blocking.put(region.value(), deployment.toString()));
            throw MeridianException.conflict(IN_PROGRESS, "Deployment in progress", service + " has an unfinished deployment in "
                    + blocking.keySet() + "; wait for it or let it fail first").with("blocking", blocking);
        }
    }

    private static MeridianException conflictRace(String service) {
        return MeridianException.conflict(IN_PROGRESS, "Deployment in progress", service
                + " got another deployment in one of these regions at the same moment; read the deployments and retry");
    }

    private void wakeAfterCommit() {
        AfterCommit.run(executor::wake);
    }

    private static String actor() {
        Authentication caller = SecurityContextHolder.getContext().getAuthentication();
        return caller == null ? "system" : caller.getName();
    }
}
