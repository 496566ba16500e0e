package io.meridian.backup.catalog;

import java.lang.management.ManagementFactory;
import java.util.UUID;

import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;

/**
 * Who runs a backup or restore: {@code <instance name>/<incarnation>}, recorded on every run and
 * restore this process starts. Every later write to that row is conditional on it, so once another
 * instance has taken interrupted work over, the old owner (paused, partitioned, or a frozen thread)
 * can no longer change it. The incarnation is new on every start: work owned by an earlier
 * incarnation of the same instance name died with it and is recovered without waiting for its
 * heartbeat to go stale.
 */
@Component
public class WorkOwner {

    private final String name;
    private final String id;

    WorkOwner(BackupProperties properties) {
        this.name = properties.instanceName() != null ? properties.instanceName() : ManagementFactory.getRuntimeMXBean().getName();
        this.id = name + "/" + UUID.randomUUID();
    }

    /** The instance name (stable across restarts when configured). */
    public String name() {
        return name;
    }

    /** This incarnation's owner id. */
    public String id() {
        return id;
    }
}
