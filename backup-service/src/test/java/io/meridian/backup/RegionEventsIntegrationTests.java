package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.region.Capacity;
import io.meridian.common.region.GeoLocation;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionChanged;
import io.meridian.common.region.RegionEndpoints;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.RegionStatus;
import io.meridian.common.region.ResidencyZone;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.EventPublisher;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/**
 * Regions registered with region-service (published on the compacted region-events topic, as
 * region-service does) become backup and restore targets without any backup-service configuration;
 * their residency zone comes from the registry and is enforced; a region the registry removes is
 * no longer used.
 */
class RegionEventsIntegrationTests extends BackupIntegrationTest {

    private static final URI REGION_SERVICE = URI.create("/meridian/region-service");

    @Autowired
    EventPublisher events;

    @Autowired
    HybridLogicalClock clock;

    private Region region(String id, ResidencyZone zone, String databaseRegion, double latitude, double longitude, String country) {
        RegionEndpoints endpoints = new RegionEndpoints(URI.create("http://127.0.0.1:9"), null,
                List.of(new RegionEndpoints.DatabaseEndpoint("app", bed().cluster(databaseRegion).jdbcUrl("app"),
                        RegionEndpoints.DatabaseRole.PRIMARY)),
                new RegionEndpoints.ObjectStore(URI.create(bed().s3().serviceClientConfiguration().endpointOverride().orElseThrow().toString()),
                        "meridian-" + id),
                URI.create("http://127.0.0.1:9"));
        return new Region(RegionId.of(id), id, "local", new GeoLocation(latitude, longitude, country), zone, Set.of(), RegionStatus.ACTIVE,
                endpoints, new Capacity(4, 16), Map.of());
    }

    private void publish(Region region, long version, RegionChanged.Change change) throws Exception {
        String type = change == RegionChanged.Change.REMOVED ? EventTypes.REGION_REMOVED : EventTypes.REGION_UPSERTED;
        events.publish(Topics.REGION_EVENTS, MeridianEvents.event(type, REGION_SERVICE, region.id().value(), version, clock.now(),
                new RegionChanged(region, version, change, null, "test", "test"))).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aRegionFromTheRegistryIsACopyTargetInItsZoneOnlyUntilItIsRemoved() throws Exception {
        bed().sql("eu-west-1", "app", "CREATE TABLE IF NOT EXISTS visits (id int PRIMARY KEY, at text)",
                "INSERT INTO visits SELECT i, 'x' || i FROM generate_series(1, 2000) i ON CONFLICT DO NOTHING");
        bed().s3().createBucket(b -> b.bucket("meridian-eu-north-9"));
        bed().s3().createBucket(b -> b.bucket("meridian-us-south-9"));
        Region stockholm = region("eu-north-9", ResidencyZone.EU, "eu-central-1", 59.3, 18.1, "SE");
        publish(stockholm, 1, RegionChanged.Change.REGISTERED);
        publish(region("us-south-9", ResidencyZone.US, "us-west-2", 29.4, -98.5, "US"), 1, RegionChanged.Change.REGISTERED);

        // known once the topic has been read: until then the request names an unknown region (400, nothing started)
        ApiClient.Response[] started = new ApiClient.Response[1];
        await().atMost(LONG).until(() -> {
            started[0] = post("/api/v1/backups", logical("eu-west-1", "app", List.of("eu-north-9"), "CHECKSUM"), TestTokens.operator());
            return started[0].status() != 400;
        });
        assertThat(started[0].status()).as(started[0].body()).isEqualTo(202);
        JsonNode backup = awaitFinished(started[0].json().get("id").asString());
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");
        assertThat(backup.get("copies")).extracting(c -> c.get("region").asString() + "@" + c.get("bucket").asString() + ":"
                + c.get("status").asString()).containsExactlyInAnyOrder("eu-west-1@meridian-eu-west-1:VERIFIED",
                        "eu-north-9@meridian-eu-north-9:VERIFIED");
        assertThat(bed().s3().headObject(b -> b.bucket("meridian-eu-north-9").key(backup.get("objectKey").asString())).contentLength())
                .isEqualTo(backup.get("sizeBytes").asLong());

        // the registry says us-south-9 is in the US zone: EU data never goes there
        assertProblem(post("/api/v1/backups", logical("eu-west-1", "app", List.of("us-south-9"), "NONE"), TestTokens.operator()), 409,
                "residency-violation", "copyTargets[0]");
        assertProblem(post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-south-9",
                "target", "app_copy"), TestTokens.operator()), 409, "residency-violation", "targetRegion");

        // a restore into the registry's region reads its own (nearest) copy and writes to the database the registry names
        ApiClient.Response restore = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                "targetRegion", "eu-north-9", "target", "visits_copy"), TestTokens.operator());
        assertThat(restore.status()).as(restore.body()).isEqualTo(202);
        JsonNode restored = awaitRestore(restore.json().get("id").asString());
        assertThat(restored.get("status").asString()).as(restored.toString()).isEqualTo("SUCCEEDED");
        assertThat(restored.get("sourceRegion").asString()).isEqualTo("eu-north-9");
        assertThat(bed().value("eu-central-1", "visits_copy", "SELECT count(*) FROM visits")).isEqualTo("2000");

        publish(stockholm, 2, RegionChanged.Change.REMOVED);
        await().atMost(LONG).until(() -> post("/api/v1/backups", logical("eu-west-1", "app", List.of("eu-north-9"), "NONE"),
                TestTokens.operator()).status() == 400);
        assertProblem(post("/api/v1/backups", logical("eu-west-1", "app", List.of("eu-north-9"), "NONE"), TestTokens.operator()), 400,
                "validation", "copyTargets[0]");
    }
}
