package io.meridian.failover.execution;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.meridian.common.region.RegionId;
import io.meridian.failover.database.Lsn;

class LagGateTests {

    static Candidate standby(String region, String received, String replayed) {
        return new Candidate(RegionId.of(region), true, Lsn.parse(received), Lsn.parse(replayed), null, false, "measured");
    }

    @Test
    void choosesTheStandbyThatMissesTheLeastWithinTheBound() {
        LagGate.Choice choice = LagGate.choose(List.of(standby("us-west-2", "0/3000000", "0/2F00000"), standby("us-west-1", "0/3100000", "0/3000000")),
                Lsn.parse("0/3100000"), 1 << 20);
        assertThat(choice.chosen()).isNotNull();
        assertThat(choice.chosen().region()).isEqualTo(RegionId.of("us-west-1"));
        assertThat(choice.chosen().lagBytes()).as("received counts: promotion replays it").isZero();
        assertThat(choice.candidates()).extracting(Candidate::lagBytes).containsExactly(0x100000L, 0L);
    }

    @Test
    void refusesWhenEveryStandbyLagsBeyondTheBoundAndSaysHowFar() {
        LagGate.Choice choice = LagGate.choose(List.of(standby("us-west-2", "0/1000000", "0/1000000")), Lsn.parse("0/3000000"), 1 << 20);
        assertThat(choice.chosen()).isNull();
        assertThat(choice.reason()).contains("no standby is within the lag bound of 1048576 bytes", "us-west-2 misses 33554432 bytes");
    }

    @Test
    void neverPromotesAnUnreachableStandby() {
        Candidate gone = new Candidate(RegionId.of("us-west-2"), false, null, null, null, false, "unreachable: connection refused");
        LagGate.Choice choice = LagGate.choose(List.of(gone), Lsn.parse("0/3000000"), Long.MAX_VALUE);
        assertThat(choice.chosen()).isNull();
        assertThat(choice.reason()).contains("no standby can be promoted", "connection refused");
    }

    @Test
    void aStandbyAheadOfTheReferenceMissesNothing() {
        LagGate.Choice choice = LagGate.choose(List.of(standby("us-west-2", "0/3000100", "0/3000100")), Lsn.parse("0/3000000"), 0);
        assertThat(choice.chosen()).isNotNull();
        assertThat(choice.chosen().lagBytes()).isZero();
    }
}
