package io.meridian.failover.topology;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.RegionId;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.support.audit.AuditLog;
import io.meridian.support.audit.AuditRecord;

/**
 * Which regional databases form each primary/standby cluster, and each member's current role.
 *
 * <p>Membership comes from configuration ({@code meridian.failover.clusters}), seeded into the failover schema at
 * start, or from an admin's {@code POST /api/v1/failover/clusters}. Roles then change only through failover,
 * switchover and rejoin, and are persisted, so that a restart (or another instance) knows that {@code us-west-2}
 * is the primary now, whatever the configuration said at first. The region registry's
 * {@code endpoints.databases[].role} describes the intended topology for people and placement; failover-service
 * owns the current one.
 */
@Service
public class Topology {

    private static final Logger log = LoggerFactory.getLogger(Topology.class);

    private final ClusterRepository clusters;
    private final AuditLog audit;
    private final Clock clock = Clock.systemUTC();

    Topology(ClusterRepository clusters, AuditLog audit) {
        this.clusters = clusters;
        this.audit = audit;
    }

    /** Every stored cluster, by name. */
    public List<StoredCluster> all() {
        return clusters.findAll();
    }

    /** The cluster named {@code name}; 404 if unknown. */
    public StoredCluster get(String name) {
        return clusters.find(name).orElseThrow(() -> MeridianException.notFound("cluster", name));
    }

    public Optional<StoredCluster> find(String name) {
        return clusters.find(name);
    }

    /** The cluster that has a member in {@code region}; if several do, {@code cluster} must say which. */
    public StoredCluster ofRegion(RegionId region, @Nullable String cluster, String field) {
        if (cluster != null) {
            StoredCluster stored = clusters.find(cluster).orElseThrow(() -> new InvalidFieldException("cluster", "no cluster named '" + cluster + "'"));
            if (stored.cluster().member(region).isEmpty()) {
                throw new InvalidFieldException(field, region + " is not a member of cluster " + cluster);
            }
            return stored;
        }
        List<StoredCluster> matching = clusters.findAll().stream().filter(c -> c.cluster().member(region).isPresent()).toList();
        if (matching.isEmpty()) {
            throw new InvalidFieldException(field, region + " is not a member of any cluster failover-service watches");
        }
        if (matching.size() > 1) {
            throw new InvalidFieldException("cluster", region + " is a member of several clusters ("
                    + String.join(", ", matching.stream().map(c -> c.cluster().name()).toList()) + "); name one");
        }
        return matching.get(0);
    }

    /** Stores the configured clusters that are not stored yet. */
    @Transactional
    public void seed(Map<String, FailoverProperties.Cluster> configured) {
        for (var entry : configured.entrySet()) {
            List<ClusterMember> members = new ArrayList<>();
            for (FailoverProperties.Member m : entry.getValue().members()) {
                members.add(new ClusterMember(m.region(), m.zone(), m.jdbcUrl(), MemberRole.valueOf(m.role().toUpperCase(java.util.Locale.ROOT)),
                        m.dataDir() == null ? null : m.dataDir().toAbsolutePath().normalize().toString(), m.appHealthUrl()));
            }
            Cluster cluster = new Cluster(entry.getKey(), members, entry.getValue().maxLagBytes(), entry.getValue().synchronous());
            requireOnePrimary(cluster);
            if (clusters.insert(cluster, clock.instant())) {
                audit.record("cluster.seed", target(cluster.name()), "configured in meridian.failover.clusters", AuditRecord.Outcome.SUCCEEDED,
                        null, null, cluster);
                log.info("Watching cluster {} from configuration: {}", cluster.name(), cluster.members());
            }
        }
    }

    /** Registers a new cluster (exactly one PRIMARY, the rest STANDBY); 409 if the name is taken. */
    @Transactional
    public StoredCluster register(Cluster cluster, @Nullable String reason) {
        requireOnePrimary(cluster);
        if (cluster.members().stream().anyMatch(m -> m.role() == MemberRole.FENCED)) {
            throw new InvalidFieldException("members", "a new cluster has one PRIMARY and STANDBY members, none FENCED");
        }
        if (!clusters.insert(cluster, clock.instant())) {
            throw new MeridianException(io.meridian.common.problem.ProblemTypes.ALREADY_EXISTS, 409, "Cluster already registered",
                    "A cluster named '" + cluster.name() + "' is already watched").with("name", cluster.name());
        }
        audit.record("cluster.register", target(cluster.name()), reason, AuditRecord.Outcome.SUCCEEDED, null, null, cluster);
        return clusters.find(cluster.name()).orElseThrow();
    }

    /** Stops watching a cluster (the caller checked that no operation runs on it). */
    @Transactional
    public void remove(String name, @Nullable String reason) {
        StoredCluster current = get(name);
        if (!clusters.delete(name, current.version())) {
            throw MeridianException.preconditionFailed("cluster " + name + " changed meanwhile; retry");
        }
        audit.record("cluster.remove", target(name), reason, AuditRecord.Outcome.SUCCEEDED, null, current.cluster(), null);
    }

    /**
     * Moves members of {@code cluster} to new roles, in the caller's transaction (the executor's step), with the
     * cluster's row locked.
     */
    public Cluster applyRoles(String cluster, Map<RegionId, MemberRole> roles) {
        StoredCluster current = clusters.lock(cluster).orElseThrow(() -> MeridianException.notFound("cluster", cluster));
        Cluster next = current.cluster();
        for (var change : roles.entrySet()) {
            next = next.withRole(change.getKey(), change.getValue());
        }
        if (!next.equals(current.cluster()) && !clusters.update(next, current.version(), clock.instant())) {
            throw new IllegalStateException("cluster " + cluster + " changed while locked");
        }
        return next;
    }

    private static void requireOnePrimary(Cluster cluster) {
        if (cluster.primary().isEmpty()) {
            throw new InvalidFieldException("members", "exactly one member must be PRIMARY");
        }
    }

    static String target(String cluster) {
        return "cluster/" + cluster;
    }
}
