package io.meridian.backup.catalog;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.meridian.backup.storage.ObjectStore;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Retention by count and by age, per source. Whatever the rule says, the newest verified backup of
 * a source is never deleted.
 */
@Component
public class Retention {

    private static final Logger log = LoggerFactory.getLogger(Retention.class);

    private final BackupRepository repository;
    private final ObjectStore store;
    private final AuditLog audit;
    private final BackupEvents events;

    Retention(BackupRepository repository, ObjectStore store, AuditLog audit, BackupEvents events) {
        this.repository = repository;
        this.store = store;
        this.audit = audit;
        this.events = events;
    }

    /**
     * A retention rule.
     *
     * @param count  keep at most this many backups (of those that are usable or corrupt)
     * @param maxAge delete backups older than this
     */
    public record Rule(int count, Duration maxAge) {
    }

    /** What retention would delete now, newest first kept (pure: the rule applied to the list). */
    static List<Backup> doomed(List<Backup> newestFirst, Rule rule, Instant now) {
        Backup newestVerified = newestFirst.stream().filter(b -> b.status() == BackupStatus.VERIFIED).findFirst().orElse(null);
        List<Backup> doomed = new ArrayList<>();
        int kept = 0;
        for (Backup b : newestFirst) {
            boolean tooOld = b.startedAt().isBefore(now.minus(rule.maxAge()));
            if (b == newestVerified) {
                kept++;
                continue;
            }
            if (b.status() == BackupStatus.FAILED || b.status() == BackupStatus.INTERRUPTED) {
                if (tooOld) {
                    doomed.add(b);
                }
                continue;
            }
            if (tooOld || kept >= rule.count()) {
                doomed.add(b);
            } else {
                kept++;
            }
        }
        return doomed;
    }

    /** Applies {@code rule} to the backups of one source; returns the ids deleted. */
    public List<UUID> apply(String region, String source, BackupKind kind, Rule rule) {
        List<UUID> deleted = new ArrayList<>();
        for (Backup b : doomed(repository.retained(region, source, kind), rule, Instant.now())) {
            delete(b, "retention: keep " + rule.count() + ", at most " + rule.maxAge());
            deleted.add(b.id());
        }
        return deleted;
    }

    /** Deletes a backup's objects in every bucket and marks it deleted. */
    public void delete(Backup b, String why) {
        for (Backup.Copy copy : b.copies()) {
            if (copy.status().equals("DELETED")) {
                continue;
            }
            store.deleteBackupObject(copy.region(), copy.objectKey());
            store.delete(copy.region(), copy.manifestKey());
            repository.copy(b.id(), copy.region(), copy.bucket(), copy.objectKey(), copy.manifestKey(), "DELETED", why, false);
        }
        repository.status(b.id(), BackupStatus.DELETED, "DELETED", null);
        audit.record("backup.delete", "backup/" + b.id(), why, AuditRecord.Outcome.SUCCEEDED, null,
                Map.of("status", b.status(), "copies", b.copies().size()), Map.of("status", BackupStatus.DELETED));
        repository.find(b.id()).ifPresent(events::changed);
        log.info("Deleted backup {} of {}/{} ({})", b.id(), b.region(), b.source(), why);
    }
}
