package io.meridian.backup.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class RetentionTests {

    private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

    private static Backup backup(String name, BackupStatus status, Duration age) {
        return new Backup(UUID.nameUUIDFromBytes(name.getBytes()), null, BackupKind.LOGICAL, "eu-west-1", "app", "EU", "SCHEDULED", null,
                status, null, Verification.CHECKSUM, NOW.minus(age), NOW.minus(age), 1L, "x", 1, "k", "m", "s", null, null, null, null,
                1, null, List.of());
    }

    @Test
    void keepsTheNewestUpToTheCount() {
        Backup a = backup("a", BackupStatus.VERIFIED, Duration.ofHours(1));
        Backup b = backup("b", BackupStatus.VERIFIED, Duration.ofHours(2));
        Backup c = backup("c", BackupStatus.VERIFIED, Duration.ofHours(3));
        assertThat(Retention.doomed(List.of(a, b, c), new Retention.Rule(2, Duration.ofDays(30)), NOW)).containsExactly(c);
    }

    @Test
    void neverDeletesTheNewestVerifiedBackupWhateverTheRuleSays() {
        Backup corrupt = backup("new", BackupStatus.CORRUPT, Duration.ofHours(1));
        Backup unverified = backup("mid", BackupStatus.COMPLETED, Duration.ofHours(2));
        Backup verified = backup("old", BackupStatus.VERIFIED, Duration.ofDays(90));
        Backup older = backup("older", BackupStatus.VERIFIED, Duration.ofDays(91));

        List<Backup> doomed = Retention.doomed(List.of(corrupt, unverified, verified, older), new Retention.Rule(1, Duration.ofDays(30)), NOW);

        assertThat(doomed).containsExactly(unverified, older);
    }

    @Test
    void deletesByAgeAndDropsOldFailures() {
        Backup fresh = backup("fresh", BackupStatus.VERIFIED, Duration.ofHours(1));
        Backup stale = backup("stale", BackupStatus.COMPLETED, Duration.ofDays(8));
        Backup failedOld = backup("failed-old", BackupStatus.FAILED, Duration.ofDays(8));
        Backup failedNew = backup("failed-new", BackupStatus.FAILED, Duration.ofHours(2));
        assertThat(Retention.doomed(List.of(fresh, failedNew, stale, failedOld), new Retention.Rule(10, Duration.ofDays(7)), NOW))
                .containsExactly(stale, failedOld);
    }
}
