package io.meridian.common.events;

import java.util.List;

/**
 * Kafka topic names. State topics are compacted and keyed by the entity id, so a consumer that
 * starts late rebuilds state from the topic alone; the others are event streams with retention.
 */
public final class Topics {

    /** Prefix of every Meridian topic. */
    public static final String PREFIX = "meridian.";

    /** Region registry state, keyed by region id. Compacted. */
    public static final String REGION_EVENTS = PREFIX + "region-events";
    /** Compiled routing table, keyed by service. Compacted. */
    public static final String ROUTING_TABLE = PREFIX + "routing-table";
    /** Rollout progress, keyed by rollout id. */
    public static final String ROLLOUT_EVENTS = PREFIX + "rollout-events";
    /** Active and passive health observations, keyed by region id. */
    public static final String HEALTH_OBSERVATIONS = PREFIX + "health-observations";
    /** Failover and switchover steps, keyed by operation id. */
    public static final String FAILOVER_EVENTS = PREFIX + "failover-events";
    /** Replication lag readings, keyed by link id. */
    public static final String REPLICATION_LAG = PREFIX + "replication-lag";
    /** Backup runs, copies, verifications and restores, keyed by backup id. */
    public static final String BACKUP_EVENTS = PREFIX + "backup-events";
    /** Prefix of change-capture topics, one per region and database: {@code meridian.cdc.<region>.<db>}. */
    public static final String CDC_PREFIX = PREFIX + "cdc.";
    /** Audit records of every control action, keyed by service. */
    public static final String AUDIT = PREFIX + "audit";

    /** Topics whose latest record per key is the state (log compaction). */
    public static final List<String> COMPACTED = List.of(REGION_EVENTS, ROUTING_TABLE);

    /** Every fixed topic. */
    public static final List<String> ALL = List.of(REGION_EVENTS, ROUTING_TABLE, ROLLOUT_EVENTS, HEALTH_OBSERVATIONS,
            FAILOVER_EVENTS, REPLICATION_LAG, BACKUP_EVENTS, AUDIT);

    private Topics() {
    }

    /** The change-capture topic of one regional database. */
    public static String cdc(String region, String database) {
        if (!region.matches("[a-z0-9-]+") || !database.matches("[a-z0-9_-]+")) {
            throw new IllegalArgumentException("region and database must be lowercase names: " + region + ", " + database);
        }
        return CDC_PREFIX + region + "." + database;
    }

    /** Whether {@code topic} is a compacted state topic. */
    public static boolean isCompacted(String topic) {
        return COMPACTED.contains(topic);
    }
}
