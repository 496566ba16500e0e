package io.meridian.backup.catalog;

import java.net.URI;

import org.springframework.stereotype.Component;

import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.EventPublisher;

/** Publishes backup and restore state on {@value Topics#BACKUP_EVENTS}. */
@Component
public class BackupEvents {

    /** A backup changed status. */
    public static final String BACKUP_CHANGED = "meridian.backup.status-changed.v1";
    /** A restore changed status. */
    public static final String RESTORE_CHANGED = "meridian.backup.restore-changed.v1";

    private static final URI SOURCE = URI.create("/meridian/backup-service");

    private final EventPublisher publisher;
    private final HybridLogicalClock clock;

    BackupEvents(EventPublisher publisher, HybridLogicalClock clock) {
        this.publisher = publisher;
        this.clock = clock;
    }

    public void changed(Backup backup) {
        publish(BACKUP_CHANGED, "backup/" + backup.id(), backup);
    }

    public void restore(String id, Object restore) {
        publish(RESTORE_CHANGED, "restore/" + id, restore);
    }

    private void publish(String type, String subject, Object data) {
        HlcTimestamp now = clock.now();
        publisher.publish(Topics.BACKUP_EVENTS, MeridianEvents.event(type, SOURCE, subject, now.packed(), now, data));
    }
}
