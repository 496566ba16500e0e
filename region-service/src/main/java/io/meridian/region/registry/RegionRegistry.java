package io.meridian.region.registry;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.support.tx.AfterCommit;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.region.IllegalTransitionException;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionChanged;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;
import io.meridian.support.kafka.EventPublisher;

/**
 * The region registry. Every change is checked against the version the caller saw, persisted and
 * audited (who, what, why, before/after) in one transaction, then published whole on the compacted
 * {@value Topics#REGION_EVENTS} topic keyed by region id, so that a consumer starting late rebuilds
 * the registry from the topic alone.
 */
@Service
public class RegionRegistry {

    static final URI SOURCE = URI.create("/meridian/region-service");
    /** Problem type of a removal refused because the region still serves. */
    static final URI REGION_IN_SERVICE = ProblemTypes.of("region-in-service");
    /** States a region may be registered in: serving, or prepared out of traffic. */
    static final Set<RegionStatus> INITIAL = Set.of(RegionStatus.ACTIVE, RegionStatus.MAINTENANCE);

    private final RegionRepository regions;
    private final AuditLog audit;
    private final EventPublisher events;
    private final HybridLogicalClock clock;
    private final Clock wallClock = Clock.systemUTC();

    RegionRegistry(RegionRepository regions, AuditLog audit, EventPublisher events, HybridLogicalClock clock) {
        this.regions = regions;
        this.audit = audit;
        this.events = events;
        this.clock = clock;
    }

    /** Registers a new region (ACTIVE or MAINTENANCE); 409 if the id is taken. */
    @Transactional
    public RegisteredRegion register(Region region, @Nullable String reason) {
        if (!INITIAL.contains(region.status())) {
            throw new InvalidFieldException("status", "a new region starts ACTIVE or MAINTENANCE, not " + region.status());
        }
        if (!regions.insert(region, wallClock.instant())) {
            throw new MeridianException(ProblemTypes.ALREADY_EXISTS, 409, "Region already registered",
                    "A region with id '" + region.id() + "' is already registered").with("id", region.id().value());
        }
        RegisteredRegion registered = regions.find(region.id()).orElseThrow();
        audit.record("region.register", target(region.id()), reason, AuditRecord.Outcome.SUCCEEDED, null, null, region);
        publish(EventTypes.REGION_UPSERTED, new RegionChanged(region, registered.version(), RegionChanged.Change.REGISTERED, null, reason,
                actor()));
        return registered;
    }

    /**
     * Replaces a region's description (name, provider, location, zone, regimes, endpoints, capacity,
     * labels) if it is still at {@code expectedVersion}. Its status changes only through the lifecycle
     * actions.
     */
    @Transactional
    public RegisteredRegion update(RegionId id, Region replacement, long expectedVersion, @Nullable String reason) {
        if (!replacement.id().equals(id)) {
            throw new InvalidFieldException("id", "must match the region in the path ('" + id + "')");
        }
        RegisteredRegion current = lockAt(id, expectedVersion);
        if (replacement.status() != current.region().status()) {
            throw new InvalidFieldException("status", "is " + current.region().status()
                    + "; change it with the lifecycle actions (drain, maintenance, activate, fail, recover)");
        }
        if (!regions.update(replacement, expectedVersion, wallClock.instant())) {
            throw stale(id, expectedVersion, current.version());
        }
        RegisteredRegion updated = regions.find(id).orElseThrow();
        audit.record("region.update", target(id), reason, AuditRecord.Outcome.SUCCEEDED, null, current.region(), replacement);
        publish(EventTypes.REGION_UPSERTED, new RegionChanged(replacement, updated.version(), RegionChanged.Change.UPDATED, null, reason,
                actor()));
        return updated;
    }

    /**
     * Applies a lifecycle action: moves the region to the action's target if the lifecycle allows it (409 listing the allowed moves if
     * not), optionally only if it is still at {@code expectedVersion}. Asking for the state it is
     * already in changes nothing and says so.
     */
    @Transactional
    public StatusChange changeStatus(RegionId id, LifecycleAction lifecycleAction, String reason, @Nullable Long expectedVersion) {
        RegisteredRegion current = expectedVersion == null ? lock(id) : lockAt(id, expectedVersion);
        RegionStatus from = current.region().status();
        RegionStatus target = lifecycleAction.target();
        String action = lifecycleAction.auditName();
        RegionStatus requiredFrom = lifecycleAction.requiredFrom();
        if (requiredFrom != null && from != requiredFrom) {
            throw new IllegalTransitionException(id, from, target).with("hint",
                    lifecycleAction.name().toLowerCase(java.util.Locale.ROOT) + " applies only to " + requiredFrom + " regions");
        }
        if (from == target) {
            audit.record(action, target(id), reason, AuditRecord.Outcome.SUCCEEDED, "already " + target, current.region(), current.region());
            return new StatusChange(current, false);
        }
        IllegalTransitionException.check(id, from, target);
        Region next = current.region().withStatus(target);
        if (!regions.update(next, current.version(), wallClock.instant())) {
            throw stale(id, current.version(), regions.find(id).map(RegisteredRegion::version).orElse(-1L));
        }
        RegisteredRegion changed = regions.find(id).orElseThrow();
        audit.record(action, target(id), reason, AuditRecord.Outcome.SUCCEEDED, from + " -> " + target, current.region(), next);
        publish(EventTypes.REGION_STATUS_CHANGED, new RegionChanged(next, changed.version(), RegionChanged.Change.STATUS_CHANGED, from, reason,
                actor()));
        return new StatusChange(changed, true);
    }

    /** Removes a region that is out of service (MAINTENANCE or FAILED) and still at {@code expectedVersion}. */
    @Transactional
    public void deregister(RegionId id, long expectedVersion, @Nullable String reason) {
        RegisteredRegion current = lockAt(id, expectedVersion);
        RegionStatus status = current.region().status();
        if (status != RegionStatus.MAINTENANCE && status != RegionStatus.FAILED) {
            throw new MeridianException(REGION_IN_SERVICE, 409, "Region in service",
                    "Region " + id + " is " + status + "; put it in MAINTENANCE (or let it fail) before removing it")
                    .with("regionStatus", status.name());
        }
        if (!regions.delete(id, expectedVersion)) {
            throw stale(id, expectedVersion, current.version());
        }
        audit.record("region.deregister", target(id), reason, AuditRecord.Outcome.SUCCEEDED, null, current.region(), null);
        RegionChanged removed = new RegionChanged(current.region(), current.version() + 1, RegionChanged.Change.REMOVED, status, reason,
                actor());
        HlcTimestamp hlc = clock.now();
        AfterCommit.run(() -> events.publish(Topics.REGION_EVENTS,
                        MeridianEvents.event(EventTypes.REGION_REMOVED, SOURCE, id.value(), removed.version(), hlc, removed))
                .thenRun(() -> events.tombstone(Topics.REGION_EVENTS, id.value())));
    }

    /** The region with {@code id}; 404 if unknown. */
    public RegisteredRegion get(RegionId id) {
        return regions.find(id).orElseThrow(() -> MeridianException.notFound("region", id.value()));
    }

    /** Registered regions by id, optionally only those with {@code status} or in {@code zone}. */
    public List<RegisteredRegion> list(@Nullable RegionStatus status, @Nullable ResidencyZone zone) {
        return regions.findAll(status, zone);
    }

    /** The result of a status change: the region after it, and whether anything changed. */
    public record StatusChange(RegisteredRegion region, boolean changed) {
    }

    private RegisteredRegion lock(RegionId id) {
        return regions.lock(id).orElseThrow(() -> MeridianException.notFound("region", id.value()));
    }

    private RegisteredRegion lockAt(RegionId id, long expectedVersion) {
        RegisteredRegion current = lock(id);
        if (current.version() != expectedVersion) {
            throw stale(id, expectedVersion, current.version());
        }
        return current;
    }

    private static MeridianException stale(RegionId id, long expected, long current) {
        return MeridianException.preconditionFailed("Region " + id + " is at version " + current + ", not " + expected
                + "; read it again and retry").with("currentVersion", current).with("expectedVersion", expected);
    }

    private void publish(String type, RegionChanged change) {
        HlcTimestamp hlc = clock.now();
        AfterCommit.run(() -> events.publish(Topics.REGION_EVENTS,
                MeridianEvents.event(type, SOURCE, change.region().id().value(), change.version(), hlc, change)));
    }

    private static String target(RegionId id) {
        return "region/" + id;
    }

    private static String actor() {
        Authentication caller = SecurityContextHolder.getContext().getAuthentication();
        return caller == null ? "system" : caller.getName();
    }
}
