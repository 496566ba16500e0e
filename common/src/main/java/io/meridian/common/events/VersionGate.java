package io.meridian.common.events;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Makes a consumer idempotent: it lets an event through only if its version is newer than the
 * last one seen for its key, so a repeated or stale event (a redelivery, a replay of a compacted
 * topic, an out-of-order retry) changes nothing.
 */
public final class VersionGate {

    private final ConcurrentHashMap<String, Long> seen = new ConcurrentHashMap<>();

    /** Whether the event for {@code key} at {@code version} is new; records it if so. */
    public boolean admit(String key, long version) {
        AtomicBoolean admitted = new AtomicBoolean();
        seen.compute(key, (k, last) -> {
            if (last == null || version > last) {
                admitted.set(true);
                return version;
            }
            return last;
        });
        return admitted.get();
    }

    /** The last version admitted for {@code key}, or -1. */
    public long lastVersion(String key) {
        return seen.getOrDefault(key, -1L);
    }
}
