package io.meridian.failover.quorum;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import io.meridian.common.region.RegionId;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.failover.topology.Cluster;
import io.meridian.failover.topology.ClusterMember;

/**
 * Decides by quorum whether a cluster's primary has failed. Pure: it sees the observers' views and the cluster,
 * nothing else.
 *
 * <p>It fails over only when all of these hold, and otherwise says which did not:
 * <ol>
 * <li>at least {@code quorum.observers} fresh observers hold the primary FAILED (consecutive failed probes, or
 * degraded for too long);</li>
 * <li>no fresh observer still sees it healthy ({@code quorum.unanimous}, the default), or, when not unanimous, a
 * strict majority of the fresh observers holds it failed: a primary that one side of a partition reaches is not
 * failed over;</li>
 * <li>an observer that sees <em>every</em> (unfenced) member of the cluster down does not count: it is more likely cut off
 * itself than every database at once;</li>
 * <li>this instance's own probes see at least one standby healthy (it has to reach the standby to promote it).</li>
 * </ol>
 */
public final class QuorumDecider {

    private final FailoverProperties.Quorum quorum;

    public QuorumDecider(FailoverProperties.Quorum quorum) {
        this.quorum = quorum;
    }

    /**
     * Decides about {@code cluster}.
     *
     * @param cluster  the cluster, with current roles
     * @param views    every observer's view of each member's region
     * @param self     this instance's observer name
     * @param running  whether an operation runs on the cluster
     * @param now      the time of the decision
     */
    public Decision decide(Cluster cluster, Map<RegionId, List<ObserverView>> views, String self, boolean running, Instant now) {
        Optional<ClusterMember> primaryMember = cluster.primary();
        if (primaryMember.isEmpty()) {
            return new Decision(cluster.name(), null, Decision.Code.NO_PRIMARY, false,
                    List.of("cluster " + cluster.name() + " has no primary (a failover halted); see its history and act"), List.of(),
                    List.of(), List.of(), null, now);
        }
        RegionId primary = primaryMember.get().region();
        if (running) {
            return new Decision(cluster.name(), primary, Decision.Code.OPERATION_RUNNING, false,
                    List.of("an operation runs on cluster " + cluster.name()), List.of(), List.of(), List.of(), null, now);
        }
        List<ObserverView> ofPrimary = views.getOrDefault(primary, List.of());
        List<String> discounted = new ArrayList<>();
        List<ObserverView> counted = new ArrayList<>();
        for (ObserverView view : ofPrimary) {
            if (!view.fresh()) {
                discounted.add(view.observer() + ": no observation within " + quorum.maxAge().toMillis() + " ms");
            } else if (view.verdict() != Verdict.HEALTHY && seesEveryMemberDown(cluster, views, view.observer())) {
                discounted.add(view.observer() + ": sees every member of " + cluster.name() + " down, so it is likely cut off itself");
            } else {
                counted.add(view);
            }
        }
        List<ObserverView> failed = counted.stream().filter(v -> v.verdict() == Verdict.FAILED).toList();
        List<ObserverView> healthy = counted.stream().filter(v -> v.verdict() == Verdict.HEALTHY).toList();
        List<ObserverView> suspect = counted.stream().filter(v -> v.verdict() == Verdict.SUSPECT).toList();
        List<String> failedBy = failed.stream().map(v -> v.observer() + " (" + v.detail() + ")").toList();
        List<String> healthyBy = healthy.stream().map(ObserverView::observer).toList();
        Instant faultAt = failed.stream().map(ObserverView::unhealthySince).filter(Objects::nonNull).min(Comparator.naturalOrder())
                .orElse(null);

        if (failed.isEmpty()) {
            if (suspect.isEmpty()) {
                return new Decision(cluster.name(), primary, Decision.Code.HEALTHY, false,
                        List.of(counted.isEmpty() ? "no fresh observation of primary " + primary + " yet"
                                : "primary " + primary + " is healthy for " + counted.size() + " fresh observer(s)"),
                        failedBy, healthyBy, discounted, null, now);
            }
            return new Decision(cluster.name(), primary, Decision.Code.SUSPECT, false,
                    List.of("primary " + primary + " is unhealthy for " + names(suspect) + ", not yet long enough to call it failed"),
                    failedBy, healthyBy, discounted, null, now);
        }
        if (quorum.unanimous() && !healthy.isEmpty()) {
            return disagree(cluster, primary, failed, healthy, failedBy, healthyBy, discounted, faultAt, now);
        }
        if (failed.size() < quorum.observers()) {
            return new Decision(cluster.name(), primary, Decision.Code.AWAITING_QUORUM, false,
                    List.of("primary " + primary + " failed for " + failed.size() + " of the " + quorum.observers()
                            + " observers required (" + names(failed) + "); holding"),
                    failedBy, healthyBy, discounted, faultAt, now);
        }
        if (!quorum.unanimous() && failed.size() * 2 <= counted.size()) {
            return disagree(cluster, primary, failed, healthy, failedBy, healthyBy, discounted, faultAt, now);
        }
        List<ClusterMember> standbys = cluster.standbys();
        Set<RegionId> healthyStandbys = standbys.stream().filter(s -> views.getOrDefault(s.region(), List.of()).stream()
                .anyMatch(v -> v.observer().equals(self) && v.fresh() && v.verdict() == Verdict.HEALTHY))
                .map(ClusterMember::region).collect(Collectors.toSet());
        if (healthyStandbys.isEmpty()) {
            return new Decision(cluster.name(), primary, Decision.Code.NO_HEALTHY_STANDBY, false,
                    List.of("primary " + primary + " failed for " + names(failed) + ", but " + self + " sees no standby healthy ("
                            + (standbys.isEmpty() ? "the cluster has none" : standbys.stream().map(s -> s.region().value())
                                    .collect(Collectors.joining(", "))) + "); holding"),
                    failedBy, healthyBy, discounted, faultAt, now);
        }
        return new Decision(cluster.name(), primary, Decision.Code.FAILOVER, true,
                List.of("primary " + primary + " failed for " + failed.size() + " of " + counted.size() + " fresh observers ("
                        + names(failed) + "; quorum " + quorum.observers() + ")" + (healthy.isEmpty() ? ", none sees it healthy" : "")
                        + "; healthy standby(s): " + healthyStandbys.stream().map(RegionId::value).sorted().collect(Collectors.joining(", "))),
                failedBy, healthyBy, discounted, faultAt, now);
    }

    private Decision disagree(Cluster cluster, RegionId primary, List<ObserverView> failed, List<ObserverView> healthy, List<String> failedBy,
            List<String> healthyBy, List<String> discounted, @org.jspecify.annotations.Nullable Instant faultAt, Instant now) {
        return new Decision(cluster.name(), primary, Decision.Code.OBSERVERS_DISAGREE, false,
                List.of("observers disagree about primary " + primary + ": failed for " + names(failed) + ", healthy for " + names(healthy)
                        + (quorum.unanimous() ? "" : ", no strict majority")
                        + "; a partition seen from one side only does not fail over"),
                failedBy, healthyBy, discounted, faultAt, now);
    }

    private static boolean seesEveryMemberDown(Cluster cluster, Map<RegionId, List<ObserverView>> views, String observer) {
        for (ClusterMember member : cluster.members()) {
            if (member.role() == io.meridian.failover.topology.MemberRole.FENCED) {
                continue; // expected to be down
            }
            Optional<ObserverView> view = views.getOrDefault(member.region(), List.of()).stream().filter(v -> v.observer().equals(observer))
                    .findFirst();
            if (view.isEmpty() || !view.get().fresh() || view.get().verdict() == Verdict.HEALTHY) {
                return false;
            }
        }
        return true;
    }

    private static String names(List<ObserverView> views) {
        return views.stream().map(ObserverView::observer).collect(Collectors.joining(", "));
    }
}
