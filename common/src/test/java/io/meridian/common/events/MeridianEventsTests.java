package io.meridian.common.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import io.cloudevents.CloudEvent;
import io.meridian.common.time.HlcTimestamp;

class MeridianEventsTests {

    record StatusChange(String region, String from, String to) {
    }

    @Test
    void envelopeCarriesTypeSubjectVersionHlcAndJsonData() {
        HlcTimestamp hlc = new HlcTimestamp(1_763_000_000_000L, 3);
        CloudEvent event = MeridianEvents.event(EventTypes.REGION_STATUS_CHANGED, URI.create("/meridian/region-service"),
                "eu-west-1", 7, hlc, new StatusChange("eu-west-1", "ACTIVE", "DRAINING"));
        assertThat(event.getSpecVersion().toString()).isEqualTo("1.0");
        assertThat(event.getType()).isEqualTo("meridian.region.status-changed.v1");
        assertThat(event.getSubject()).isEqualTo("eu-west-1");
        assertThat(event.getDataContentType()).isEqualTo("application/json");
        assertThat(event.getTime().toInstant().toEpochMilli()).isEqualTo(hlc.physicalMillis());
        assertThat(MeridianEvents.version(event)).isEqualTo(7);
        assertThat(MeridianEvents.hlc(event)).isEqualTo(hlc);
        assertThat(MeridianEvents.data(event, StatusChange.class)).isEqualTo(new StatusChange("eu-west-1", "ACTIVE", "DRAINING"));
        assertThat(new String(event.getData().toBytes())).contains("\"to\":\"DRAINING\"");
    }

    @Test
    void typeMustBeVersionedAndNamespaced() {
        assertThatThrownBy(() -> MeridianEvents.requireType("region.changed")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MeridianEvents.requireType("meridian.region.changed")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MeridianEvents.requireType("meridian.Region.changed.v1")).isInstanceOf(IllegalArgumentException.class);
        assertThat(MeridianEvents.requireType("meridian.backup.copy-verified.v2")).isEqualTo("meridian.backup.copy-verified.v2");
    }

    @Test
    void versionGateAdmitsOnlyNewerVersionsPerKey() {
        VersionGate gate = new VersionGate();
        assertThat(gate.admit("eu-west-1", 1)).isTrue();
        assertThat(gate.admit("eu-west-1", 1)).as("repeat").isFalse();
        assertThat(gate.admit("eu-west-1", 3)).isTrue();
        assertThat(gate.admit("eu-west-1", 2)).as("stale").isFalse();
        assertThat(gate.admit("us-east-1", 2)).as("other key").isTrue();
        assertThat(gate.lastVersion("eu-west-1")).isEqualTo(3);
        assertThat(gate.lastVersion("nowhere")).isEqualTo(-1);
    }

    @Test
    void versionGateAdmitsEachVersionOnceUnderConcurrency() throws Exception {
        VersionGate gate = new VersionGate();
        AtomicInteger admitted = new AtomicInteger();
        java.util.Set<Integer> versions = java.util.concurrent.ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            pool.submit(() -> {
                for (int v = 0; v < 10_000; v++) {
                    if (gate.admit("k", v)) {
                        admitted.incrementAndGet();
                        versions.add(v);
                    }
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(gate.lastVersion("k")).isEqualTo(9_999);
        // Each version gets through at most once, however many consumers race on it.
        assertThat(admitted.get()).isEqualTo(versions.size()).isPositive();
    }

    @Test
    void topicNamesArePrefixedAndCdcTopicsAreChecked() {
        assertThat(Topics.ALL).allMatch(topic -> topic.startsWith("meridian."));
        assertThat(Topics.isCompacted(Topics.REGION_EVENTS)).isTrue();
        assertThat(Topics.isCompacted(Topics.FAILOVER_EVENTS)).isFalse();
        assertThat(Topics.cdc("eu-west-1", "app")).isEqualTo("meridian.cdc.eu-west-1.app");
        assertThatThrownBy(() -> Topics.cdc("eu-west-1", "../x")).isInstanceOf(IllegalArgumentException.class);
    }
}
