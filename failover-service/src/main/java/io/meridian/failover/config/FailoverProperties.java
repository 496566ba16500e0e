package io.meridian.failover.config;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;

/**
 * How failover-service probes, decides and acts.
 *
 * @param instanceId   this instance's name as an observer (in health observations) and as the executor lease
 *                     holder; default {@code failover-service@<host>-<pid>-<random>}. Give each instance its own.
 * @param autoFailover whether a quorum decision starts a failover by itself; when off, decisions are only
 *                     recorded (switchover, rejoin and drills still work)
 * @param probe        probe thresholds
 * @param quorum       how many observers must agree
 * @param execution    executor lease, lag gate and step timeouts
 * @param database     how to log in to the managed databases
 * @param clusters     the primary/standby clusters to watch, by name; seeded into the failover schema at start
 *                     (a cluster already stored keeps its stored roles: they change by failover, not by restart)
 */
@ConfigurationProperties("meridian.failover")
public record FailoverProperties(
        @Nullable String instanceId,
        @DefaultValue("true") boolean autoFailover,
        @DefaultValue Probe probe,
        @DefaultValue Quorum quorum,
        @DefaultValue Execution execution,
        @DefaultValue Database database,
        @DefaultValue Map<String, Cluster> clusters) {

    public FailoverProperties {
        if (instanceId == null || instanceId.isBlank()) {
            instanceId = defaultInstanceId();
        }
        clusters = Map.copyOf(clusters);
    }

    /** This instance's observer and lease-holder name. */
    public String observer() {
        return java.util.Objects.requireNonNull(instanceId);
    }

    /**
     * Probe thresholds.
     *
     * @param interval            how often every member is probed
     * @param timeout             how long one probe (connect, queries, write) may take before it counts as failed; a
     *                            frozen postmaster accepts TCP connections and never answers, so only a timeout catches it
     * @param failureThreshold    consecutive failed probes after which an observer holds a member failed
     * @param degradedAfter       how long a member may stay degraded (answers, but its write probe fails or it is in
     *                            the wrong role) before an observer holds it failed
     * @param writeProbe          whether the primary gets a write probe (a heartbeat row in
     *                            {@code meridian_failover.heartbeat} of the member's database)
     */
    public record Probe(
            @DefaultValue("200ms") Duration interval,
            @DefaultValue("500ms") Duration timeout,
            @DefaultValue("3") int failureThreshold,
            @DefaultValue("3s") Duration degradedAfter,
            @DefaultValue("true") boolean writeProbe) {

        public Probe {
            requirePositive("probe.interval", interval);
            requirePositive("probe.timeout", timeout);
            requirePositive("probe.degraded-after", degradedAfter);
            if (failureThreshold < 1) {
                throw new IllegalArgumentException("meridian.failover.probe.failure-threshold must be at least 1");
            }
        }
    }

    /**
     * The quorum of observers.
     *
     * @param observers  how many independent observers must each hold the primary failed (this instance's own
     *                   probes count as one; other failover-service instances and gateways publish theirs on
     *                   {@code meridian.health-observations})
     * @param unanimous  whether one fresh observer that still sees the primary healthy holds the failover (the
     *                   default: a partition seen from one side only must not fail over); when off, a strict
     *                   majority of the fresh observers decides
     * @param maxAge     how old an observer's newest observation may be and still count
     * @param accept     prefixes of the observer names whose observations count ({@code failover-service@},
     *                   {@code gateway@}); empty: every observer. Keep out observers that watch something else than
     *                   the database (a gateway that only sees an app answering 200 would hold every failover)
     */
    public record Quorum(
            @DefaultValue("2") int observers,
            @DefaultValue("true") boolean unanimous,
            @DefaultValue("2s") Duration maxAge,
            @DefaultValue List<String> accept) {

        /** Whether observations by {@code observer} count. */
        public boolean accepts(String observer) {
            return accept.isEmpty() || accept.stream().anyMatch(observer::startsWith);
        }

        public Quorum {
            if (observers < 1) {
                throw new IllegalArgumentException("meridian.failover.quorum.observers must be at least 1");
            }
            requirePositive("quorum.max-age", maxAge);
            accept = List.copyOf(accept);
        }
    }

    /**
     * The executor.
     *
     * @param leaseDuration    how long the executor lease lasts unless renewed (renewed at every step and poll); another
     *                         instance takes over an unfinished operation once it expires
     * @param loopInterval     how often the executor looks at decisions and unfinished operations
     * @param maxLagBytes      lag gate: the most WAL a standby may miss (old primary's last known position minus what
     *                         the standby received) to be promoted; a cluster may set its own
     * @param catchUpTimeout   how long the lag gate waits for a standby to replay what it received, and a switchover
     *                         for the standby to reach lag 0
     * @param promoteTimeout   how long {@code pg_promote} may take
     * @param verifyTimeout    how long the write on the new primary may take to succeed
     * @param fenceTimeout     how long fencing may take
     * @param rejoinTimeout    how long a rejoined member may take to stream from the new primary
     * @param eventAckTimeout  how long a step that changes traffic (fenced, promoted) waits for Kafka to acknowledge its
     *                         failover event; it proceeds either way and records whether the event was acknowledged
     *                         (routing keeps its last table while Kafka is away: static stability)
     * @param synchronousAlone what a promoted primary does with {@code synchronous_standby_names} while it has no
     *                         standby: {@code keep} (writes wait for a standby) or {@code clear} (writes go on, async,
     *                         like Patroni's non-strict synchronous mode)
     */
    public record Execution(
            @DefaultValue("3s") Duration leaseDuration,
            @DefaultValue("100ms") Duration loopInterval,
            @DefaultValue("16777216") long maxLagBytes,
            @DefaultValue("10s") Duration catchUpTimeout,
            @DefaultValue("30s") Duration promoteTimeout,
            @DefaultValue("10s") Duration verifyTimeout,
            @DefaultValue("10s") Duration fenceTimeout,
            @DefaultValue("120s") Duration rejoinTimeout,
            @DefaultValue("500ms") Duration eventAckTimeout,
            @DefaultValue("clear") String synchronousAlone) {

        public Execution {
            requirePositive("execution.lease-duration", leaseDuration);
            requirePositive("execution.loop-interval", loopInterval);
            if (loopInterval.compareTo(leaseDuration) >= 0) {
                throw new IllegalArgumentException("meridian.failover.execution.loop-interval must be shorter than lease-duration");
            }
            if (maxLagBytes < 0) {
                throw new IllegalArgumentException("meridian.failover.execution.max-lag-bytes must not be negative");
            }
            if (!synchronousAlone.equals("keep") && !synchronousAlone.equals("clear")) {
                throw new IllegalArgumentException("meridian.failover.execution.synchronous-alone must be keep or clear");
            }
        }
    }

    /**
     * Login to the managed databases.
     *
     * @param username the role probes and actions log in as (it needs superuser or pg_monitor plus the rights to
     *                 promote, {@code ALTER SYSTEM} and terminate sessions)
     * @param password its password, if the databases ask for one
     */
    public record Database(@DefaultValue("postgres") String username, @Nullable String password) {
    }

    /**
     * One primary/standby cluster.
     *
     * @param members     its members; exactly one is the initial primary
     * @param maxLagBytes this cluster's lag bound, instead of {@code execution.max-lag-bytes}
     * @param synchronous whether the primary replicates synchronously ({@code synchronous_standby_names = '*'} is
     *                    restored whenever a standby streams from it again)
     */
    public record Cluster(List<Member> members, @Nullable Long maxLagBytes, @DefaultValue("false") boolean synchronous) {
    }

    /**
     * One member of a cluster: the database of one region.
     *
     * @param region  the region it serves
     * @param zone    the region's residency zone (a switchover never crosses zones)
     * @param jdbcUrl how probes and actions reach it
     * @param role    its role when the cluster is first stored: PRIMARY or STANDBY
     * @param dataDir its data directory, for the local host adapter (fencing by kill, re-seeding, drills); a
     *                production adapter addresses the host or instance instead
     * @param appHealthUrl the region's application health endpoint, probed and reported beside the database
     */
    public record Member(RegionId region, ResidencyZone zone, String jdbcUrl, String role, @Nullable Path dataDir,
            @Nullable String appHealthUrl) {
    }

    private static void requirePositive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("meridian.failover." + name + " must be positive");
        }
    }

    private static String defaultInstanceId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return "failover-service@" + host + "-" + ManagementFactory.getRuntimeMXBean().getPid() + "-"
                + UUID.randomUUID().toString().substring(0, 6);
    }
}
