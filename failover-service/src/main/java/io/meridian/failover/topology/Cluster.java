package io.meridian.failover.topology;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.RegionId;

/**
 * A primary/standby cluster: the regional databases that stream from one primary, with each member's current
 * role. At most one member is {@link MemberRole#PRIMARY}; none after a failover halted with its primary fenced.
 *
 * @param name        the cluster's name ({@code app-us})
 * @param members     its members, one per region
 * @param maxLagBytes this cluster's lag bound for promotion, if it has its own
 * @param synchronous whether the primary replicates synchronously: failover-service then sets
 *                    {@code synchronous_standby_names = '*'} on the primary whenever a standby streams from it again
 *                    (after a switchover or rejoin); a promoted primary without a standby clears it unless
 *                    {@code execution.synchronous-alone} is {@code keep}
 */
public record Cluster(String name, List<ClusterMember> members, @Nullable Long maxLagBytes, boolean synchronous) {

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    public Cluster {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidFieldException("name", "must be 1-63 lowercase letters, digits or '-', starting with a letter");
        }
        if (members == null || members.size() < 2) {
            throw new InvalidFieldException("members", "a cluster has at least two members (a primary and a standby)");
        }
        Set<RegionId> regions = new HashSet<>();
        for (int i = 0; i < members.size(); i++) {
            ClusterMember member = members.get(i);
            if (member == null) {
                throw new InvalidFieldException("members[" + i + "]", "must not be null");
            }
            if (!regions.add(member.region())) {
                throw new InvalidFieldException("members[" + i + "].region", "region " + member.region() + " appears twice");
            }
        }
        if (members.stream().filter(m -> m.role() == MemberRole.PRIMARY).count() > 1) {
            throw new InvalidFieldException("members", "at most one member is PRIMARY");
        }
        if (maxLagBytes != null && maxLagBytes < 0) {
            throw new InvalidFieldException("maxLagBytes", "must not be negative");
        }
        members = List.copyOf(members);
    }

    /** The current primary, if there is one. */
    public Optional<ClusterMember> primary() {
        return members.stream().filter(m -> m.role() == MemberRole.PRIMARY).findFirst();
    }

    /** The member serving {@code region}. */
    public Optional<ClusterMember> member(RegionId region) {
        return members.stream().filter(m -> m.region().equals(region)).findFirst();
    }

    /** The members that stream from the primary. */
    public List<ClusterMember> standbys() {
        return members.stream().filter(m -> m.role() == MemberRole.STANDBY).toList();
    }

    /** This cluster with {@code region} in {@code role}. */
    public Cluster withRole(RegionId region, MemberRole role) {
        return new Cluster(name, members.stream().map(m -> m.region().equals(region) ? m.withRole(role) : m).toList(), maxLagBytes,
                synchronous);
    }

    /** The lag bound that applies: this cluster's own, else {@code defaultBytes}. */
    public long lagBound(long defaultBytes) {
        return maxLagBytes != null ? maxLagBytes : defaultBytes;
    }
}
