package io.meridian.gateway.table;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.common.region.RegionId;
import io.meridian.common.routing.RoutingDecider;
import io.meridian.common.routing.RoutingTable;
import tools.jackson.databind.json.JsonMapper;

/**
 * The newest routing table per service, each with its {@link RoutingDecider}, readable without locks
 * from the event loop (one volatile read of an immutable map per request). Every change is written to
 * {@code routing-tables.json} in the state directory (write to a temporary file, then an atomic
 * rename), and the store starts from that file: the gateway routes by its last known good tables
 * from its first request, whether or not Kafka and the control plane are up.
 *
 * <p>Only a newer version of a service's table replaces the one held, so a replayed, repeated or stale
 * event changes nothing.
 */
public final class RoutingTableStore {

    private static final Logger log = LoggerFactory.getLogger(RoutingTableStore.class);
    static final String FILE = "routing-tables.json";

    /** A table with its decider and its regions by id, built once per version. */
    public record Entry(RoutingTable table, RoutingDecider decider, Map<RegionId, RoutingTable.RegionEntry> regions) {

        static Entry of(RoutingTable table) {
            Map<RegionId, RoutingTable.RegionEntry> byId = new HashMap<>();
            table.regions().forEach(region -> byId.put(region.id(), region));
            return new Entry(table, RoutingDecider.of(table), Map.copyOf(byId));
        }
    }

    /** The file format: a version marker and the tables. */
    record Snapshot(int format, List<RoutingTable> tables) {
    }

    private final JsonMapper json = JsonMapper.builder().findAndAddModules().build();
    private final @Nullable Path file;
    private final List<Consumer<Map<String, Entry>>> listeners = new ArrayList<>();
    private volatile Map<String, Entry> entries = Map.of();
    private volatile String origin = "empty";

    /** @param stateDirectory where the last known good tables live; null keeps them in memory only */
    public RoutingTableStore(@Nullable Path stateDirectory) {
        this.file = stateDirectory == null ? null : stateDirectory.resolve(FILE);
        load();
    }

    /** The table and decider of {@code service}, or null if no table is known for it. */
    public @Nullable Entry get(String service) {
        return entries.get(service);
    }

    /** Every service's current entry. */
    public Map<String, Entry> all() {
        return entries;
    }

    /** Where the tables came from: {@code empty}, {@code disk} or {@code kafka}. */
    public String origin() {
        return origin;
    }

    /** Calls {@code listener} after every change with the new state. */
    public synchronized void onChange(Consumer<Map<String, Entry>> listener) {
        listeners.add(listener);
    }

    /**
     * Applies a batch of updates: tables replace older versions of their service, and each name in
     * {@code removed} (tombstones) forgets its service. Persists the result if anything changed.
     *
     * @return whether anything changed
     */
    public synchronized boolean apply(Collection<RoutingTable> tables, Collection<String> removed) {
        Map<String, Entry> next = new HashMap<>(entries);
        boolean changed = false;
        for (RoutingTable table : tables) {
            Entry current = next.get(table.service());
            if (current == null || table.version() > current.table().version()) {
                next.put(table.service(), Entry.of(table));
                changed = true;
            }
        }
        for (String service : removed) {
            changed |= next.remove(service) != null;
        }
        if (!changed) {
            return false;
        }
        entries = Map.copyOf(next);
        origin = "kafka";
        persist();
        for (Consumer<Map<String, Entry>> listener : listeners) {
            listener.accept(entries);
        }
        return true;
    }

    private void load() {
        if (file == null || !Files.isReadable(file)) {
            log.info("No last known good routing tables at {}; waiting for the routing-table topic", file);
            return;
        }
        try {
            Snapshot snapshot = json.readValue(file.toFile(), Snapshot.class);
            Map<String, Entry> loaded = new HashMap<>();
            for (RoutingTable table : snapshot.tables()) {
                loaded.put(table.service(), Entry.of(table));
            }
            entries = Map.copyOf(loaded);
            origin = "disk";
            log.info("Routing from the last known good tables in {}: {}", file, loaded.keySet());
        } catch (RuntimeException e) {
            // A damaged file must not keep the gateway down; the topic rebuilds the state.
            log.warn("Ignoring unreadable routing tables {}: {}", file, e.getMessage());
        }
    }

    private void persist() {
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.getParent());
            Path temporary = file.resolveSibling(FILE + ".tmp");
            byte[] bytes = json.writeValueAsBytes(new Snapshot(1, entries.values().stream().map(Entry::table)
                    .sorted(java.util.Comparator.comparing(RoutingTable::service)).toList()));
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(java.nio.ByteBuffer.wrap(bytes));
                channel.force(true);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Could not write the last known good routing tables to {}: {}", file, e.getMessage());
        }
    }
}
