package io.meridian.region.registry;

import java.net.URI;
import java.time.Clock;
import java.util.List;

import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.kafka.EventPublisher;

/**
 * Registers and reads regions. Every change is persisted and audited in one transaction and then
 * published, whole, on the compacted {@value Topics#REGION_EVENTS} topic keyed by region id.
 */
@Service
public class RegionRegistry {

    static final URI SOURCE = URI.create("/meridian/region-service");

    private final RegionRepository regions;
    private final AuditLog audit;
    private final EventPublisher events;
    private final HybridLogicalClock clock;
    private final Clock wallClock;

    RegionRegistry(RegionRepository regions, AuditLog audit, EventPublisher events, HybridLogicalClock clock) {
        this.regions = regions;
        this.audit = audit;
        this.events = events;
        this.clock = clock;
        this.wallClock = Clock.systemUTC();
    }

    /** Registers a new region; 409 if the id is taken. */
    @Transactional
    public RegisteredRegion register(Region region) {
        if (!regions.insert(region, wallClock.instant())) {
            throw new MeridianException(ProblemTypes.ALREADY_EXISTS, 409, "Region already registered",
                    "A region with id '" + region.id() + "' is already registered").with("id", region.id().value());
        }
        RegisteredRegion registered = regions.find(region.id()).orElseThrow();
        audit.succeeded("region.register", "region/" + region.id(), null, region);
        HlcTimestamp hlc = clock.now();
        AfterCommit.run(() -> events.publish(Topics.REGION_EVENTS,
                MeridianEvents.event(EventTypes.REGION_UPSERTED, SOURCE, region.id().value(), registered.version(), hlc, region)));
        return registered;
    }

    /** The region with {@code id}; 404 if unknown. */
    public RegisteredRegion get(RegionId id) {
        return regions.find(id).orElseThrow(() -> MeridianException.notFound("region", id.value()));
    }

    /** Every registered region, by id. */
    public List<RegisteredRegion> list() {
        return regions.findAll();
    }
}
