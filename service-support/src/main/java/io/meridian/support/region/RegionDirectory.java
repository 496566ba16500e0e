package io.meridian.support.region;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.VersionGate;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionChanged;
import io.meridian.common.region.RegionId;
import io.meridian.common.time.HlcTimestamp;

/**
 * The region registry as a consuming service sees it, rebuilt from {@code meridian.region-events} alone (whole
 * regions keyed by id; a tombstone or a {@code REMOVED} change forgets one). Idempotent: a
 * {@link VersionGate} lets only newer versions per region through, so redelivery and replay change
 * nothing. A region removed and registered again starts a new incarnation (its versions restart), told
 * apart by the events' hybrid logical time: events older than the removal stay ignored.
 */
public class RegionDirectory {

    private static final Logger log = LoggerFactory.getLogger(RegionDirectory.class);

    private final Map<RegionId, Region> regions = new ConcurrentHashMap<>();
    private final VersionGate gate = new VersionGate();
    private final Map<RegionId, HlcTimestamp> lastChange = new HashMap<>();
    private final Map<RegionId, HlcTimestamp> removedAt = new HashMap<>();
    private final Map<RegionId, Integer> incarnation = new HashMap<>();

    /**
     * Applies one record of the region-events topic.
     *
     * @param key   the record key (the region id)
     * @param event the event, or null for a tombstone
     * @return whether the directory changed
     */
    public synchronized boolean apply(String key, @Nullable CloudEvent event) {
        if (!RegionId.isValid(key)) {
            log.warn("Ignoring a region event with key '{}', which is not a region id", key);
            return false;
        }
        RegionId id = RegionId.of(key);
        if (event == null) {
            removedAt.putIfAbsent(id, lastChange.getOrDefault(id, HlcTimestamp.ZERO));
            return regions.remove(id) != null;
        }
        RegionChanged change;
        long version;
        HlcTimestamp hlc;
        try {
            change = MeridianEvents.data(event, RegionChanged.class);
            version = MeridianEvents.version(event);
            hlc = MeridianEvents.hlc(event);
        } catch (RuntimeException e) {
            log.warn("Ignoring unreadable region event {} for {}: {}", event.getId(), key, e.getMessage());
            return false;
        }
        if (!change.region().id().equals(id)) {
            log.warn("Ignoring region event {}: key {} but region {}", event.getId(), key, change.region().id());
            return false;
        }
        HlcTimestamp removal = removedAt.get(id);
        if (removal != null) {
            if (hlc.compareTo(removal) <= 0) {
                return false; // from before the removal
            }
            removedAt.remove(id);
            incarnation.merge(id, 1, Integer::sum);
        }
        if (!gate.admit(id.value() + "#" + incarnation.getOrDefault(id, 0), version)) {
            return false;
        }
        lastChange.put(id, hlc);
        if (change.change() == RegionChanged.Change.REMOVED) {
            removedAt.put(id, hlc);
            return regions.remove(id) != null;
        }
        Region previous = regions.put(id, change.region());
        return !change.region().equals(previous);
    }

    /** Applies a snapshot (newest event per key) read from the compacted topic. */
    public synchronized boolean applyAll(Map<String, CloudEvent> snapshot) {
        boolean changed = false;
        for (Map.Entry<String, CloudEvent> entry : snapshot.entrySet()) {
            changed |= apply(entry.getKey(), entry.getValue());
        }
        return changed;
    }

    /** The region with {@code id}, if registered. */
    public Optional<Region> get(RegionId id) {
        return Optional.ofNullable(regions.get(id));
    }

    /** Whether the topic removed {@code id} (a tombstone or a {@code REMOVED} change) and it has not been registered again. */
    public synchronized boolean removed(RegionId id) {
        return removedAt.containsKey(id) && !regions.containsKey(id);
    }

    /** Every registered region, by id. */
    public List<Region> all() {
        return regions.values().stream().sorted(java.util.Comparator.comparing(Region::id)).toList();
    }
}
