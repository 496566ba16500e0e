package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class CpuAccountTests {

    @Test
    void readsThisProcessAndTheMachineFromProc() {
        CpuAccount.Machine before = CpuAccount.machine();
        long sum = 0;
        for (int i = 0; i < 50_000_000; i++) { // burn some CPU so both counters move
            sum += i ^ (sum >>> 3);
        }
        CpuAccount.Machine after = CpuAccount.machine();

        assertThat(sum).isNotZero();
        assertThat(before).isNotNull();
        assertThat(after.totalTicks()).isGreaterThanOrEqualTo(before.totalTicks());
        assertThat(after.busySince(before)).isBetween(-1.0, 1.0);
        assertThat(CpuAccount.ticks(ProcessHandle.current().pid()).orElse(-1)).isPositive();
        // the same process named twice counts once
        double twice = CpuAccount.seconds(List.of(ProcessHandle.current().pid(), ProcessHandle.current().pid()));
        assertThat(twice).isPositive().isLessThanOrEqualTo(CpuAccount.ticks(ProcessHandle.current().pid()).getAsLong() / 100.0);
        assertThat(CpuAccount.ticks(Long.MAX_VALUE)).isEmpty();
    }
}
