package io.meridian.common.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class HybridLogicalClockTests {

    @Test
    void strictlyIncreasingWhenTheWallClockStandsStill() {
        AtomicLong wall = new AtomicLong(1_000);
        HybridLogicalClock clock = new HybridLogicalClock(wall::get, Duration.ofMillis(500));
        HlcTimestamp a = clock.now();
        HlcTimestamp b = clock.now();
        HlcTimestamp c = clock.now();
        assertThat(a).isEqualTo(new HlcTimestamp(1_000, 0));
        assertThat(b).isEqualTo(new HlcTimestamp(1_000, 1));
        assertThat(c).isGreaterThan(b);
        wall.set(1_001);
        assertThat(clock.now()).isEqualTo(new HlcTimestamp(1_001, 0));
    }

    @Test
    void neverGoesBackwardsWhenTheWallClockDoes() {
        AtomicLong wall = new AtomicLong(5_000);
        HybridLogicalClock clock = new HybridLogicalClock(wall::get, Duration.ofMillis(500));
        HlcTimestamp before = clock.now();
        wall.set(4_000); // NTP step backwards
        HlcTimestamp after = clock.now();
        assertThat(after).isGreaterThan(before);
        assertThat(after.physicalMillis()).isEqualTo(5_000);
    }

    @Test
    void counterOverflowCarriesIntoTheNextMillisecond() {
        AtomicLong wall = new AtomicLong(7);
        HybridLogicalClock clock = new HybridLogicalClock(wall::get, Duration.ofMillis(500));
        HlcTimestamp previous = clock.now();
        for (int i = 0; i < 70_000; i++) {
            HlcTimestamp next = clock.now();
            assertThat(next.packed()).isGreaterThan(previous.packed());
            previous = next;
        }
        assertThat(previous.physicalMillis()).isEqualTo(8);
    }

    @Test
    void receiveOrdersAfterTheRemoteEventWithinTheSkewBound() {
        AtomicLong wallA = new AtomicLong(10_000);
        AtomicLong wallB = new AtomicLong(10_300); // B runs 300 ms fast
        HybridLogicalClock a = new HybridLogicalClock(wallA::get, Duration.ofMillis(500));
        HybridLogicalClock b = new HybridLogicalClock(wallB::get, Duration.ofMillis(500));
        HlcTimestamp sent = b.now();
        HlcTimestamp received = a.update(sent);
        assertThat(received).isGreaterThan(sent);
        assertThat(a.now()).isGreaterThan(received);
        // A's later local events stay ordered after what it has seen, though its wall clock is behind.
        assertThat(received.physicalMillis()).isEqualTo(10_300);
    }

    @Test
    void rejectsRemoteTimestampsBeyondTheMaximumOffset() {
        AtomicLong wall = new AtomicLong(10_000);
        HybridLogicalClock clock = new HybridLogicalClock(wall::get, Duration.ofMillis(500));
        HlcTimestamp before = clock.now();
        assertThatThrownBy(() -> clock.update(new HlcTimestamp(10_501, 0)))
                .isInstanceOfSatisfying(ClockSkewException.class, e -> assertThat(e.aheadMillis()).isEqualTo(501));
        // The rejected timestamp left no trace.
        assertThat(clock.last()).isEqualTo(before);
        assertThat(clock.update(new HlcTimestamp(10_500, 3))).isEqualTo(new HlcTimestamp(10_500, 4));
    }

    @Test
    void concurrentCallersGetUniqueMonotonicTimestamps() throws Exception {
        AtomicLong wall = new AtomicLong(1_000_000);
        HybridLogicalClock clock = new HybridLogicalClock(() -> wall.get() + (System.nanoTime() / 1_000_000 % 3), Duration.ofSeconds(1));
        int threads = 8;
        int perThread = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<List<HlcTimestamp>>> tasks = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            boolean receiver = t % 2 == 0;
            tasks.add(() -> {
                start.await();
                List<HlcTimestamp> mine = new ArrayList<>(perThread);
                for (int i = 0; i < perThread; i++) {
                    HlcTimestamp stamp = receiver && i % 10 == 0
                            ? clock.update(new HlcTimestamp(wall.get() + 200, i % 100))
                            : clock.now();
                    mine.add(stamp);
                }
                return mine;
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<List<HlcTimestamp>>> futures = new ArrayList<>();
            for (Callable<List<HlcTimestamp>> task : tasks) {
                futures.add(pool.submit(task));
            }
            start.countDown();
            Set<Long> all = new HashSet<>();
            for (Future<List<HlcTimestamp>> future : futures) {
                List<HlcTimestamp> mine = future.get();
                for (int i = 1; i < mine.size(); i++) {
                    assertThat(mine.get(i)).as("per-thread order").isGreaterThan(mine.get(i - 1));
                }
                mine.forEach(stamp -> all.add(stamp.packed()));
            }
            assertThat(all).as("no two callers share a timestamp").hasSize(threads * perThread);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void textAndPackedFormsRoundTrip() {
        HlcTimestamp stamp = new HlcTimestamp(1_763_000_000_000L, 42);
        assertThat(HlcTimestamp.parse(stamp.toString())).isEqualTo(stamp);
        assertThat(HlcTimestamp.fromPacked(stamp.packed())).isEqualTo(stamp);
        assertThat(new HlcTimestamp(2, 0).packed()).isGreaterThan(new HlcTimestamp(1, 65_535).packed());
        assertThatThrownBy(() -> HlcTimestamp.parse("12")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HlcTimestamp.parse("a.b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HlcTimestamp(1, 65_536)).isInstanceOf(IllegalArgumentException.class);
    }
}
