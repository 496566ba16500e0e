package io.meridian.failover.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;
import io.meridian.failover.config.FailoverProperties;
import io.meridian.failover.topology.Cluster;
import io.meridian.failover.topology.ClusterMember;
import io.meridian.failover.topology.MemberRole;

class QuorumDeciderTests {

    static final RegionId EAST = RegionId.of("us-east-1");
    static final RegionId WEST = RegionId.of("us-west-2");
    static final String SELF = "failover-service@a";
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    static final Cluster PAIR = new Cluster("app-us", List.of(
            new ClusterMember(EAST, ResidencyZone.US, "jdbc:postgresql://127.0.0.1:15433/app", MemberRole.PRIMARY, null),
            new ClusterMember(WEST, ResidencyZone.US, "jdbc:postgresql://127.0.0.1:15434/app", MemberRole.STANDBY, null)), null, false);

    final QuorumDecider decider = new QuorumDecider(new FailoverProperties.Quorum(2, true, Duration.ofSeconds(2), List.of()));
    final Map<RegionId, List<ObserverView>> views = new HashMap<>();

    static ObserverView view(String observer, Verdict verdict) {
        return new ObserverView(observer, verdict, true, verdict == Verdict.FAILED ? 3 : 0, verdict == Verdict.HEALTHY ? null : NOW.minusMillis(700),
                NOW, verdict.name());
    }

    Decision decide() {
        return decider.decide(PAIR, views, SELF, false, NOW);
    }

    @Test
    void failsOverWhenTheQuorumAgreesAndAStandbyIsHealthy() {
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("gateway@us-west-2", Verdict.FAILED)));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY), view("gateway@us-west-2", Verdict.HEALTHY)));
        Decision decision = decide();
        assertThat(decision.act()).isTrue();
        assertThat(decision.code()).isEqualTo(Decision.Code.FAILOVER);
        assertThat(decision.faultAt()).isEqualTo(NOW.minusMillis(700));
        assertThat(decision.reasons().get(0)).contains("failed for 2 of 2 fresh observers", "healthy standby(s): us-west-2");
    }

    @Test
    void oneObserverIsNotAQuorum() {
        views.put(EAST, List.of(view(SELF, Verdict.FAILED)));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY)));
        Decision decision = decide();
        assertThat(decision.act()).isFalse();
        assertThat(decision.code()).isEqualTo(Decision.Code.AWAITING_QUORUM);
        assertThat(decision.reasons().get(0)).contains("1 of the 2 observers required");
    }

    @Test
    void observersThatDisagreeHold() {
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("failover-service@b", Verdict.FAILED), view("gateway@us-east-1", Verdict.HEALTHY)));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY)));
        Decision decision = decide();
        assertThat(decision.act()).isFalse();
        assertThat(decision.code()).isEqualTo(Decision.Code.OBSERVERS_DISAGREE);
        assertThat(decision.reasons().get(0)).contains("healthy for gateway@us-east-1", "partition seen from one side only");
        assertThat(decision.healthyBy()).containsExactly("gateway@us-east-1");
    }

    @Test
    void oneAgainstOneIsADisagreementNotJustAMissingVote() {
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("gateway@us-east-1", Verdict.HEALTHY)));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY)));
        assertThat(decide().code()).isEqualTo(Decision.Code.OBSERVERS_DISAGREE);
    }

    @Test
    void aMajorityDecidesWhenNotUnanimous() {
        QuorumDecider majority = new QuorumDecider(new FailoverProperties.Quorum(2, false, Duration.ofSeconds(2), List.of()));
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("failover-service@b", Verdict.FAILED), view("gateway@us-east-1", Verdict.HEALTHY)));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY)));
        assertThat(majority.decide(PAIR, views, SELF, false, NOW).act()).isTrue();
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("failover-service@b", Verdict.FAILED), view("gateway@us-east-1", Verdict.HEALTHY),
                view("gateway@us-west-2", Verdict.HEALTHY)));
        assertThat(majority.decide(PAIR, views, SELF, false, NOW).code()).as("2 against 2 is no majority").isEqualTo(Decision.Code.OBSERVERS_DISAGREE);
    }

    @Test
    void anObserverThatSeesEveryMemberDownIsLikelyCutOffAndDoesNotCount() {
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("gateway@x", Verdict.FAILED)));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY), view("gateway@x", Verdict.FAILED)));
        Decision decision = decide();
        assertThat(decision.act()).isFalse();
        assertThat(decision.code()).isEqualTo(Decision.Code.AWAITING_QUORUM);
        assertThat(decision.discounted()).singleElement().asString().contains("gateway@x", "likely cut off");
    }

    @Test
    void staleObservationsDoNotCount() {
        ObserverView stale = new ObserverView("gateway@x", Verdict.FAILED, false, 5, NOW.minusSeconds(30), NOW.minusSeconds(10), "old");
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), stale));
        views.put(WEST, List.of(view(SELF, Verdict.HEALTHY)));
        Decision decision = decide();
        assertThat(decision.code()).isEqualTo(Decision.Code.AWAITING_QUORUM);
        assertThat(decision.discounted()).singleElement().asString().contains("no observation within 2000 ms");
    }

    @Test
    void noHealthyStandbyHolds() {
        views.put(EAST, List.of(view(SELF, Verdict.FAILED), view("gateway@x", Verdict.FAILED)));
        ObserverView staleStandby = new ObserverView(SELF, Verdict.HEALTHY, false, 0, null, NOW.minusSeconds(10), "old");
        views.put(WEST, List.of(staleStandby, view("gateway@x", Verdict.HEALTHY)));
        Decision decision = decide();
        assertThat(decision.code()).as("this instance must reach a standby to promote it").isEqualTo(Decision.Code.NO_HEALTHY_STANDBY);
    }

    @Test
    void onlyAcceptedObserversCount() {
        FailoverProperties.Quorum quorum = new FailoverProperties.Quorum(2, true, Duration.ofSeconds(2), List.of("failover-service@"));
        assertThat(quorum.accepts("failover-service@b")).isTrue();
        assertThat(quorum.accepts("gateway@us-east-1")).isFalse();
        assertThat(new FailoverProperties.Quorum(2, true, Duration.ofSeconds(2), List.of()).accepts("gateway@us-east-1")).isTrue();
    }

    @Test
    void suspectIsNotFailed() {
        views.put(EAST, List.of(view(SELF, Verdict.SUSPECT), view("gateway@x", Verdict.HEALTHY)));
        assertThat(decide().code()).isEqualTo(Decision.Code.SUSPECT);
        assertThat(decider.decide(PAIR, views, SELF, true, NOW).code()).isEqualTo(Decision.Code.OPERATION_RUNNING);
        assertThat(decider.decide(PAIR.withRole(EAST, MemberRole.FENCED), views, SELF, false, NOW).code()).isEqualTo(Decision.Code.NO_PRIMARY);
    }
}
