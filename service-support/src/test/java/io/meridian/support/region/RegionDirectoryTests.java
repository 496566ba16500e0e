package io.meridian.support.region;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import io.cloudevents.CloudEvent;
import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionChanged;
import io.meridian.common.region.RegionEndpoints;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.time.HybridLogicalClock;

/** The registry rebuilt from region events: newest version wins, replays change nothing, removals stick until a newer registration. */
class RegionDirectoryTests {

    private final HybridLogicalClock clock = HybridLogicalClock.system();

    private static Region region(String id, RegionStatus status, String bucket) {
        RegionEndpoints endpoints = new RegionEndpoints(URI.create("https://k8s.example"), null, List.of(),
                new RegionEndpoints.ObjectStore(URI.create("https://s3.example"), bucket), URI.create("https://in.example"));
        return new Region(RegionId.of(id), id, "aws", new GeoLocation(53.3, -6.3, "IE"), ResidencyZone.EU, Set.of(), status, endpoints,
                new Capacity(4, 16), Map.of());
    }

    private CloudEvent event(Region region, long version, RegionChanged.Change change) {
        String type = change == RegionChanged.Change.REMOVED ? EventTypes.REGION_REMOVED : EventTypes.REGION_UPSERTED;
        return MeridianEvents.event(type, URI.create("/meridian/region-service"), region.id().value(), version, clock.now(),
                new RegionChanged(region, version, change, null, "test", "test"));
    }

    @Test
    void theNewestVersionWinsAndReplaysChangeNothing() {
        RegionDirectory directory = new RegionDirectory();
        CloudEvent v1 = event(region("eu-west-1", RegionStatus.ACTIVE, "bucket-a"), 1, RegionChanged.Change.REGISTERED);
        CloudEvent v2 = event(region("eu-west-1", RegionStatus.ACTIVE, "bucket-b"), 2, RegionChanged.Change.UPDATED);

        assertThat(directory.apply("eu-west-1", v1)).isTrue();
        assertThat(directory.apply("eu-west-1", v2)).isTrue();
        assertThat(directory.apply("eu-west-1", v1)).as("stale").isFalse();
        assertThat(directory.apply("eu-west-1", v2)).as("repeated").isFalse();
        assertThat(directory.get(RegionId.of("eu-west-1")).orElseThrow().endpoints().objectStore().bucket()).isEqualTo("bucket-b");
        assertThat(directory.apply("not a region", v1)).isFalse();
        assertThat(directory.apply("eu-central-1", v1)).as("key and region disagree").isFalse();
    }

    @Test
    void aRemovedRegionIsGoneAndKnownAsRemovedUntilItIsRegisteredAgain() {
        RegionDirectory directory = new RegionDirectory();
        Region region = region("eu-west-1", RegionStatus.ACTIVE, "bucket-a");
        CloudEvent registered = event(region, 1, RegionChanged.Change.REGISTERED);
        directory.apply("eu-west-1", registered);
        assertThat(directory.removed(RegionId.of("eu-west-1"))).isFalse();

        assertThat(directory.apply("eu-west-1", event(region, 2, RegionChanged.Change.REMOVED))).isTrue();
        assertThat(directory.get(RegionId.of("eu-west-1"))).isEmpty();
        assertThat(directory.removed(RegionId.of("eu-west-1"))).isTrue();
        assertThat(directory.apply("eu-west-1", registered)).as("an event from before the removal").isFalse();
        assertThat(directory.removed(RegionId.of("eu-central-1"))).as("never seen is not removed").isFalse();

        assertThat(directory.apply("eu-west-1", event(region, 1, RegionChanged.Change.REGISTERED))).as("registered again").isTrue();
        assertThat(directory.removed(RegionId.of("eu-west-1"))).isFalse();
        assertThat(directory.all()).extracting(r -> r.id().value()).containsExactly("eu-west-1");

        assertThat(directory.apply("eu-west-1", null)).as("tombstone").isTrue();
        assertThat(directory.removed(RegionId.of("eu-west-1"))).isTrue();
    }
}
