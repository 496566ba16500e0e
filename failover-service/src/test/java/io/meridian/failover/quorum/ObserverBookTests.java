package io.meridian.failover.quorum;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import io.meridian.common.region.RegionId;
import io.meridian.failover.config.FailoverProperties;

class ObserverBookTests {

    static final RegionId EAST = RegionId.of("us-east-1");
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-22T10:00:00Z"));
    final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    final ObserverBook book = new ObserverBook(new FailoverProperties.Probe(Duration.ofMillis(200), Duration.ofMillis(500), 3,
            Duration.ofSeconds(3), true), Duration.ofSeconds(2), clock);

    void observe(ObserverBook.Health health) {
        now.set(now.get().plusMillis(200));
        book.record(EAST, "a", health, now.get(), health.name());
    }

    Verdict verdict() {
        return book.views(EAST).get(0).verdict();
    }

    @Test
    void consecutiveFailuresMakeAFailure() {
        observe(ObserverBook.Health.DOWN);
        observe(ObserverBook.Health.DOWN);
        assertThat(verdict()).isEqualTo(Verdict.SUSPECT);
        observe(ObserverBook.Health.DOWN);
        assertThat(verdict()).isEqualTo(Verdict.FAILED);
        observe(ObserverBook.Health.UP);
        assertThat(verdict()).isEqualTo(Verdict.HEALTHY);
    }

    @Test
    void degradedLongEnoughIsAFailure() {
        observe(ObserverBook.Health.DEGRADED);
        now.set(now.get().plusSeconds(2));
        observe(ObserverBook.Health.DEGRADED);
        assertThat(verdict()).isEqualTo(Verdict.SUSPECT);
        now.set(now.get().plusSeconds(1));
        assertThat(verdict()).isEqualTo(Verdict.FAILED);
    }

    @Test
    void olderObservationsChangeNothingAndSilenceMakesAnObserverStale() {
        observe(ObserverBook.Health.UP);
        book.record(EAST, "a", ObserverBook.Health.DOWN, now.get().minusSeconds(1), "late");
        assertThat(verdict()).isEqualTo(Verdict.HEALTHY);
        assertThat(book.views(EAST).get(0).fresh()).isTrue();
        now.set(now.get().plusSeconds(3));
        assertThat(book.views(EAST).get(0).fresh()).isFalse();
    }

    @Test
    void readsDegradedFromTheObservationDetail() {
        assertThat(ObserverBook.Health.of(false, "degraded: write probe failed")).isEqualTo(ObserverBook.Health.DEGRADED);
        assertThat(ObserverBook.Health.of(false, "HTTP 503")).isEqualTo(ObserverBook.Health.DOWN);
        assertThat(ObserverBook.Health.of(true, null)).isEqualTo(ObserverBook.Health.UP);
    }
}
