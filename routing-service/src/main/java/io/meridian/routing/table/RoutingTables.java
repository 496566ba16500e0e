package io.meridian.routing.table;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.event.TransactionalEventListener;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingTable;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.routing.config.RoutingProperties;
import io.meridian.routing.engine.PolicySource;
import io.meridian.routing.engine.RoutingInputs;
import io.meridian.routing.engine.RoutingPolicy;
import io.meridian.routing.engine.SafetyRules;
import io.meridian.routing.engine.StoredPolicy;
import io.meridian.routing.engine.TableCompiler;
import io.meridian.routing.inputs.HealthBook;
import io.meridian.routing.inputs.InputsChanged;
import io.meridian.routing.inputs.MeasuredLatencies;
import io.meridian.routing.inputs.RegionDirectory;
import io.meridian.support.kafka.EventPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The current routing table of every service. Whenever an input changes ({@link InputsChanged}) every
 * table is compiled again; each one whose routing differs from the last is given a new version (a
 * packed hybrid logical timestamp, so versions keep increasing across restarts), swapped in for the
 * decisions this instance makes, and published on the compacted {@value Topics#ROUTING_TABLE} topic
 * keyed by service. A service whose policy is gone gets a tombstone. Recompiling is serialised; it
 * takes microseconds per service.
 */
@Service
public class RoutingTables {

    static final URI SOURCE = URI.create("/meridian/routing-service");
    private static final Logger log = LoggerFactory.getLogger(RoutingTables.class);

    private final PolicySource policies;
    private final RegionDirectory directory;
    private final HealthBook health;
    private final MeasuredLatencies latencies;
    private final EventPublisher events;
    private final HybridLogicalClock clock;
    private final Map<String, ResidencyZone> countryZones;
    private final Map<String, List<RegionId>> countryRegions;
    private final Map<RegionId, List<String>> configuredAddresses;
    private final double healthThreshold;
    private final Map<String, RoutingDecider> current = new ConcurrentHashMap<>();
    private final Timer publishLatency;
    private final java.util.concurrent.atomic.AtomicLong generation = new java.util.concurrent.atomic.AtomicLong();
    private volatile boolean started;
    private volatile boolean ready;

    RoutingTables(PolicySource policies, RegionDirectory directory, HealthBook health, MeasuredLatencies latencies, EventPublisher events,
            HybridLogicalClock clock, RoutingProperties properties, MeterRegistry meters) {
        this.policies = policies;
        this.directory = directory;
        this.health = health;
        this.latencies = latencies;
        this.events = events;
        this.clock = clock;
        this.countryZones = countryZones(properties.countryZones());
        this.countryRegions = countryRegions(properties.countryRegions());
        this.configuredAddresses = addresses(properties.dns().regionAddresses());
        this.healthThreshold = properties.health().threshold();
        this.publishLatency = Timer.builder("meridian.routing.table.publish")
                .description("From an input change arriving to the routing table it changed being acknowledged by Kafka")
                .publishPercentiles(0.5, 0.99).register(meters);
    }

    /** Recompiles after any input change (after commit, for changes made in a transaction). */
    @TransactionalEventListener(fallbackExecution = true)
    void onInputsChanged(InputsChanged change) {
        if (started) {
            recompile(change);
        }
    }

    /** Marks the inputs complete (start-up read done) and compiles every table. */
    public synchronized void start() {
        started = true;
        // policies committed while the start-up read ran were skipped by onInputsChanged (not started) and may be missing
        // from the snapshot read at its beginning: read them again now that every later change recompiles by itself
        policies.refresh();
        latencies.refresh();
        recompile(InputsChanged.now("start-up"));
        ready = true;
        generation.incrementAndGet();
    }

    /** Changes whenever a table changes (or routing becomes ready): answers built before are stale. */
    public long generation() {
        return generation.get();
    }

    /** Whether the start-up read of the inputs is done and tables are compiled. */
    public boolean ready() {
        return ready;
    }

    /** The decider of {@code service}'s current table. */
    public Optional<RoutingDecider> decider(String service) {
        return Optional.ofNullable(current.get(service));
    }

    /** The current table of every service, by service. */
    public List<RoutingTable> tables() {
        return new TreeMap<>(current).values().stream().map(RoutingDecider::table).toList();
    }

    /** The inputs as they are now. */
    public RoutingInputs inputs() {
        Map<RegionId, Region> regions = new HashMap<>();
        Map<RegionId, Double> scores = new HashMap<>();
        Set<RegionId> fenced = new HashSet<>();
        Map<RegionId, List<String>> addresses = new HashMap<>();
        for (Region region : directory.all()) {
            regions.put(region.id(), region);
            scores.put(region.id(), health.score(region.id()));
            if (health.fenced(region.id())) {
                fenced.add(region.id());
            }
            addresses.put(region.id(), configuredAddresses.getOrDefault(region.id(), ingressAddress(region)));
        }
        return new RoutingInputs(regions, scores, fenced, addresses, countryZones, countryRegions, latencies.current(), healthThreshold);
    }

    /**
     * The safety rules a change from {@code before} to {@code after} of one service's policy would break
     * under the current inputs.
     */
    public List<SafetyRules.Violation> safety(StoredPolicy after, @Nullable StoredPolicy before) {
        RoutingInputs inputs = inputs();
        RoutingTable candidate = TableCompiler.compile(after, inputs);
        RoutingPolicy beforePolicy = before == null ? null : before.policy();
        RoutingTable beforeTable = before == null ? null : TableCompiler.compile(before, inputs);
        return SafetyRules.check(after.policy(), candidate, inputs.regions(), beforePolicy, beforeTable);
    }

    /**
     * Compiles every table and publishes those whose routing changed; first re-reads the policies and
     * latencies if the change was to them (this runs after its commit).
     */
    public synchronized void recompile(InputsChanged change) {
        if (change.stored()) {
            policies.refresh();
            latencies.refresh();
        }
        RoutingInputs inputs = inputs();
        Set<String> services = new HashSet<>();
        List<String> published = new ArrayList<>();
        for (StoredPolicy policy : policies.policies()) {
            String service = policy.policy().service();
            services.add(service);
            RoutingTable table = TableCompiler.compile(policy, inputs);
            RoutingDecider existing = current.get(service);
            if (existing != null && existing.table().sameRoutingAs(table)) {
                continue;
            }
            HlcTimestamp hlc = clock.now();
            RoutingTable versioned = table.withVersion(hlc.packed(), Instant.ofEpochMilli(hlc.physicalMillis()));
            current.put(service, RoutingDecider.of(versioned));
            published.add(service);
            events.publish(Topics.ROUTING_TABLE, MeridianEvents.event(EventTypes.ROUTING_TABLE_COMPILED, SOURCE, service,
                    versioned.version(), hlc, versioned)).thenRun(() -> publishLatency.record(System.nanoTime() - change.receivedNanos(),
                    TimeUnit.NANOSECONDS));
        }
        for (String service : List.copyOf(current.keySet())) {
            if (!services.contains(service)) {
                current.remove(service);
                published.add(service + " (removed)");
                events.tombstone(Topics.ROUTING_TABLE, service);
            }
        }
        if (!published.isEmpty()) {
            generation.incrementAndGet();
            log.info("Routing tables published after {}: {}", change.cause(), published);
        }
    }

    /** The IP-literal host of a region's ingress URL, if it is one. */
    static List<String> ingressAddress(Region region) {
        String host = region.endpoints().ingressUrl().getHost();
        if (host == null) {
            return List.of();
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return io.meridian.common.geo.IpLiterals.parse(host) == null ? List.of() : List.of(host);
    }

    private static Map<String, ResidencyZone> countryZones(@Nullable Map<String, String> configured) {
        Map<String, ResidencyZone> zones = new TreeMap<>();
        if (configured != null) {
            configured.forEach((country, zone) -> zones.put(country.toUpperCase(Locale.ROOT),
                    ResidencyZone.parse("meridian.routing.country-zones." + country, zone.toUpperCase(Locale.ROOT))));
        }
        return zones;
    }

    private static Map<String, List<RegionId>> countryRegions(@Nullable Map<String, List<String>> configured) {
        Map<String, List<RegionId>> regions = new TreeMap<>();
        if (configured != null) {
            configured.forEach((country, ids) -> regions.put(country.toUpperCase(Locale.ROOT), ids.stream().map(RegionId::of).toList()));
        }
        return regions;
    }

    private static Map<RegionId, List<String>> addresses(@Nullable Map<String, List<String>> configured) {
        Map<RegionId, List<String>> addresses = new HashMap<>();
        if (configured != null) {
            configured.forEach((id, list) -> {
                for (String address : list) {
                    if (io.meridian.common.geo.IpLiterals.parse(address) == null) {
                        throw new IllegalArgumentException("meridian.routing.dns.region-addresses." + id + ": '" + address
                                + "' is not an IP literal");
                    }
                }
                addresses.put(RegionId.of(id), List.copyOf(list));
            });
        }
        return addresses;
    }
}
