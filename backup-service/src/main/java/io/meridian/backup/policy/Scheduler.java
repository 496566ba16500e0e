package io.meridian.backup.policy;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.scheduling.support.CronExpression;
import org.springframework.stereotype.Component;

import io.meridian.backup.catalog.Backup;
import io.meridian.backup.catalog.BackupRuns;
import io.meridian.backup.catalog.Retention;
import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.recovery.Recovery;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.LockingTaskExecutor;

/**
 * Starts the policies' scheduled runs and, first on every tick, recovers interrupted work
 * ({@link Recovery}). Only the instance holding the {@value #LEASE} lease (ShedLock
 * on the control-plane database) schedules; and each fire time is claimed with a conditional update
 * plus a unique (policy, fire time) key in the catalog, so even two holders (a lease that expired
 * under a paused instance) cannot start the same run twice: the database fences them.
 */
@Component
public class Scheduler {

    /** The lease's name. */
    public static final String LEASE = "backup-scheduler";
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);
    private static final int MAX_MISSED = 10_000;

    private final PolicyRepository policies;
    private final BackupRuns runs;
    private final ObjectProvider<Recovery> recovery;
    private final Retention retention;
    private final LockingTaskExecutor locks;
    private final BackupProperties properties;

    Scheduler(PolicyRepository policies, BackupRuns runs, ObjectProvider<Recovery> recovery, Retention retention,
            LockingTaskExecutor locks, BackupProperties properties) {
        this.policies = policies;
        this.runs = runs;
        this.recovery = recovery;
        this.retention = retention;
        this.locks = locks;
        this.properties = properties;
    }

    /**
     * One tick's outcome.
     *
     * @param leaseHeld whether this instance held the lease (else it did nothing)
     * @param started   the backups it started (fresh runs in place of interrupted ones included)
     */
    public record Tick(boolean leaseHeld, List<UUID> started) {
    }

    @Scheduled(fixedDelayString = "${meridian.backup.scheduler-tick:5s}", initialDelayString = "${meridian.backup.scheduler-tick:5s}")
    void scheduled() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.warn("Scheduler tick failed: {}", e.toString(), e);
        }
    }

    /** Runs one tick under the lease. */
    public Tick tick() {
        try {
            LockingTaskExecutor.TaskResult<List<UUID>> result = locks.executeWithLock(this::due,
                    new LockConfiguration(Instant.now(), LEASE, properties.lease(), java.time.Duration.ZERO));
            List<UUID> started = result.getResult();
            return new Tick(result.wasExecuted(), started == null ? List.of() : started);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private List<UUID> due() {
        Instant now = Instant.now();
        List<UUID> started = new ArrayList<>();
        try {
            started.addAll(recovery.getObject().recover().restarted());
        } catch (RuntimeException e) {
            log.warn("Recovering interrupted work failed: {}", e.toString(), e);
        }
        for (BackupPolicy policy : policies.enabled()) {
            Instant fire = latestFireTime(policy.cron(), policy.lastScheduledAt(), now);
            if (fire != null && policies.claim(policy.id(), policy.lastScheduledAt(), fire)) {
                Backup backup = runs.start(Policies.spec(policy, "SCHEDULED", fire));
                if (backup != null) {
                    log.info("Policy {} fired for {}: backup {}", policy.name(), fire, backup.id());
                    started.add(backup.id());
                }
            }
            try {
                retention.apply(policy.region(), policy.source(), policy.kind(),
                        new Retention.Rule(policy.retentionCount(), policy.retentionMaxAge()));
            } catch (RuntimeException e) {
                log.warn("Retention of policy {} failed: {}", policy.name(), e.toString());
            }
        }
        return started;
    }

    /** The latest fire time after {@code last} and not after {@code now}, or null (missed fire times collapse into one run). */
    static @Nullable Instant latestFireTime(String cron, Instant last, Instant now) {
        CronExpression expression = CronExpression.parse(cron);
        ZonedDateTime cursor = last.atZone(ZoneOffset.UTC);
        ZonedDateTime latest = null;
        for (int i = 0; i < MAX_MISSED; i++) {
            ZonedDateTime next = expression.next(cursor);
            if (next == null || next.toInstant().isAfter(now)) {
                break;
            }
            latest = next;
            cursor = next;
        }
        return latest == null ? null : latest.toInstant();
    }
}
