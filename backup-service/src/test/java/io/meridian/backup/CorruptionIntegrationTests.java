package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestTokens;
import software.amazon.awssdk.core.sync.RequestBody;
import tools.jackson.databind.JsonNode;

/**
 * Tampered objects (a flipped bit, truncation, a missing part, a swapped object, a swapped manifest)
 * are found by verification, and a restore refuses them before any byte is applied.
 */
class CorruptionIntegrationTests extends BackupIntegrationTest {

    private static final int PART = 5 * 1024 * 1024;

    @BeforeAll
    static void data() {
        BackupTestBed bed = BackupTestBed.get();
        bed.sql("us-east-1", "postgres", "DROP DATABASE IF EXISTS vault WITH (FORCE)", "CREATE DATABASE vault");
        bed.sql("us-east-1", "vault", "CREATE TABLE items (id int PRIMARY KEY, body text)",
                // base64 of digests, which zstd cannot shrink much: the object spans at least three 5 MB parts
                "INSERT INTO items SELECT i, encode(sha512(i::text::bytea), 'base64') || encode(sha512((i * 3)::text::bytea), 'base64') "
                        + "FROM generate_series(1, 120000) i");
    }

    private byte[] object(String region, JsonNode backup) {
        return bed().s3().getObjectAsBytes(b -> b.bucket(BackupTestBed.bucket(region)).key(backup.get("objectKey").asString())).asByteArray();
    }

    private byte[] get(String region, String key) {
        return bed().s3().getObjectAsBytes(b -> b.bucket(BackupTestBed.bucket(region)).key(key)).asByteArray();
    }

    /** Parts per part object of a physical backup (the service's default). */
    private static final int PER_OBJECT = 3;

    /** The key of a physical backup's part object {@code index} (1-based; each holds {@link #PER_OBJECT} parts). */
    private static String partObjectKey(JsonNode backup, int index) {
        return backup.get("objectKey").asString() + ".parts/" + String.format("%06d", index);
    }

    private List<String> keys(String region, String prefix) {
        return bed().s3().listObjectsV2Paginator(b -> b.bucket(BackupTestBed.bucket(region)).prefix(prefix)).contents().stream()
                .map(software.amazon.awssdk.services.s3.model.S3Object::key).toList();
    }

    private void replace(String region, String key, byte[] content) {
        bed().s3().putObject(b -> b.bucket(BackupTestBed.bucket(region)).key(key), RequestBody.fromBytes(content));
    }

    private JsonNode verify(JsonNode backup) {
        ApiClient.Response response = post("/api/v1/backups/" + backup.get("id").asString() + "/verify", Map.of(), TestTokens.operator());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    private ApiClient.Response restoreInto(JsonNode backup, String target) {
        return post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-east-1", "target", target),
                TestTokens.operator());
    }

    private static String copyDetail(JsonNode backup, String region) {
        for (JsonNode copy : backup.get("copies")) {
            if (copy.get("region").asString().equals(region)) {
                return copy.get("status").asString() + ": " + copy.get("detail").asString();
            }
        }
        throw new AssertionError("no copy in " + region);
    }

    @Test
    void aFlippedBitIsFoundInTheCopyThatHasIt() {
        JsonNode backup = backupNow(logical("us-east-1", "vault", List.of("us-west-2"), "CHECKSUM"));
        assertThat(backup.get("partCount").asInt()).isGreaterThanOrEqualTo(2);
        byte[] bytes = object("us-east-1", backup);
        bytes[PART + 12345] ^= 0x10;
        replace("us-east-1", backup.get("objectKey").asString(), bytes);

        JsonNode verified = verify(backup);
        assertThat(verified.get("status").asString()).isEqualTo("CORRUPT");
        assertThat(copyDetail(verified, "us-east-1")).startsWith("CORRUPT: part 2 of");
        assertThat(copyDetail(verified, "us-west-2")).startsWith("VERIFIED");

        // A backup found CORRUPT is not offered for restore at all (nothing is touched).
        assertProblem(restoreInto(verified, "vault_a"), 409, "illegal-transition", null);
        assertThat(bed().databaseExists("us-east-1", "vault_a")).isFalse();
    }

    @Test
    void aFlippedBitFoundWhileRestoringFailsTheRestoreWithNothingApplied() {
        JsonNode backup = backupNow(logical("us-east-1", "vault", List.of(), "NONE"));
        assertThat(backup.get("status").asString()).isEqualTo("COMPLETED");
        byte[] bytes = object("us-east-1", backup);
        bytes[bytes.length - 100] ^= 0x04;
        replace("us-east-1", backup.get("objectKey").asString(), bytes);

        ApiClient.Response started = restoreInto(backup, "vault_b");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());

        assertThat(restore.get("status").asString()).isEqualTo("FAILED");
        assertThat(restore.get("phase").asString()).isEqualTo("VERIFYING");
        assertThat(restore.get("error").asString()).contains("us-east-1: part " + backup.get("partCount").asInt());
        assertThat(bed().databaseExists("us-east-1", "vault_b")).isFalse();
        assertThat(bed().value("us-east-1", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_%'")).isEqualTo("0");
    }

    @Test
    void aFlippedBitInAPhysicalBackupFailsItsRestoreBeforeAnythingReachesTheTargetAndLeavesNoStagingDirectory() throws Exception {
        JsonNode backup = backupNow(Map.of("kind", "PHYSICAL", "region", "us-east-1", "source", "cluster", "copyTargets", List.of(),
                "verification", "NONE"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("COMPLETED");
        int parts = backup.get("partCount").asInt();
        assertThat(parts).isGreaterThan(4);
        // a late part (in its part object): the parts before it were checked and extracted into the staging directory already
        String late = partObjectKey(backup, (parts - 2) / PER_OBJECT + 1);
        byte[] bytes = get("us-east-1", late);
        bytes[(parts - 2) % PER_OBJECT * PART + 777] ^= 0x20;
        replace("us-east-1", late, bytes);

        ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                "targetRegion", "us-east-1", "target", "pg_flipped"), TestTokens.operator());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());

        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("FAILED");
        assertThat(restore.get("phase").asString()).isEqualTo("VERIFYING");
        assertThat(restore.get("error").asString()).contains("us-east-1: part " + (parts - 1) + " of " + parts, "nothing was restored");
        java.nio.file.Path dataRoot = bed().root().resolve("data-us-east-1");
        assertThat(dataRoot.resolve("pg_flipped")).doesNotExist();
        try (var names = java.nio.file.Files.list(dataRoot)) {
            assertThat(names.map(p -> p.getFileName().toString())).as("no staging directory left").noneMatch(n -> n.contains("pg_flipped"));
        }
    }

    @Test
    void aRestoreSkipsTheNearestCopyWhenItIsCorruptAndReadsTheNextOne() {
        JsonNode backup = backupNow(logical("us-east-1", "vault", List.of("us-west-2"), "NONE"));
        byte[] bytes = object("us-east-1", backup);
        bytes[42] ^= 0x01;
        replace("us-east-1", backup.get("objectKey").asString(), bytes);

        ApiClient.Response started = restoreInto(backup, "vault_g");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());

        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");
        assertThat(restore.get("sourceRegion").asString()).isEqualTo("us-west-2");
        assertThat(copyDetail(backup(backup.get("id").asString()), "us-east-1")).startsWith("CORRUPT: part 1 of");
        assertThat(bed().value("us-east-1", "vault_g", "SELECT count(*) FROM items")).isEqualTo("120000");
    }

    @Test
    void aTruncatedObjectIsRefusedAtOnce() {
        JsonNode backup = backupNow(logical("us-east-1", "vault", List.of(), "CHECKSUM"));
        byte[] bytes = object("us-east-1", backup);
        replace("us-east-1", backup.get("objectKey").asString(), Arrays.copyOf(bytes, bytes.length - 4096));

        ApiClient.Response refused = restoreInto(backup, "vault_c");
        assertProblem(refused, 409, "backup-integrity", null);
        assertThat(refused.json().get("detail").asString()).contains("bytes, the manifest says " + bytes.length);
        assertThat(copyDetail(verify(backup), "us-east-1")).contains("CORRUPT: object ends at byte " + (bytes.length - 4096));
        assertThat(bed().databaseExists("us-east-1", "vault_c")).isFalse();
    }

    @Test
    void aMissingPartIsFound() {
        JsonNode backup = backupNow(logical("us-east-1", "vault", List.of(), "CHECKSUM"));
        byte[] bytes = object("us-east-1", backup);
        byte[] withoutPart2 = new byte[bytes.length - PART];
        System.arraycopy(bytes, 0, withoutPart2, 0, PART);
        System.arraycopy(bytes, 2 * PART, withoutPart2, PART, bytes.length - 2 * PART);
        replace("us-east-1", backup.get("objectKey").asString(), withoutPart2);

        // part 3 in part 2's place fails part 2's digest; with only one part after it, the object ends inside part 2 instead
        assertThat(copyDetail(verify(backup), "us-east-1")).satisfiesAnyOf(
                detail -> assertThat(detail).startsWith("CORRUPT: part 2 of"),
                detail -> assertThat(detail).startsWith("CORRUPT: object ends at byte").contains("inside part 2 of",
                        "(truncated or a part is missing)"));
        assertProblem(restoreInto(backup, "vault_d"), 409, "illegal-transition", null);
        assertThat(bed().databaseExists("us-east-1", "vault_d")).isFalse();
    }

    @Test
    void aSwappedObjectOrManifestIsFound() {
        bed().sql("us-east-1", "vault", "UPDATE items SET body = body || '!' WHERE id = 7");
        JsonNode first = backupNow(logical("us-east-1", "vault", List.of(), "CHECKSUM"));
        JsonNode second = backupNow(logical("us-east-1", "vault", List.of(), "CHECKSUM"));
        bed().sql("us-east-1", "vault", "UPDATE items SET body = body || '?' WHERE id = 8");
        JsonNode third = backupNow(logical("us-east-1", "vault", List.of(), "CHECKSUM"));
        // the second backup's object replaced by the third's (same size, other bytes)
        replace("us-east-1", second.get("objectKey").asString(), object("us-east-1", third));
        assertThat(copyDetail(verify(second), "us-east-1")).startsWith("CORRUPT: part");
        assertProblem(restoreInto(second, "vault_e"), 409, "illegal-transition", null);

        // the first backup's object and manifest both replaced by the third's: the manifest no longer matches the catalog
        replace("us-east-1", first.get("objectKey").asString(), object("us-east-1", third));
        replace("us-east-1", first.get("manifestKey").asString(), bed().s3().getObjectAsBytes(
                b -> b.bucket(BackupTestBed.bucket("us-east-1")).key(third.get("manifestKey").asString())).asByteArray());
        ApiClient.Response refused = restoreInto(first, "vault_f");
        assertProblem(refused, 409, "backup-integrity", null);
        assertThat(refused.json().get("detail").asString()).contains("the catalog recorded");
        assertThat(copyDetail(verify(first), "us-east-1")).contains("CORRUPT: the manifest in meridian-us-east-1 has SHA-256");
        assertThat(bed().databaseExists("us-east-1", "vault_e")).isFalse();
        assertThat(bed().databaseExists("us-east-1", "vault_f")).isFalse();
    }
    @Test
    void aPhysicalBackupsPartObjectsMissingCutShortStrayOrSwappedAreFoundAndARestoreIsRefusedBeforeItStarts() {
        JsonNode backup = backupNow(Map.of("kind", "PHYSICAL", "region", "us-east-1", "source", "cluster", "copyTargets", List.of(),
                "verification", "NONE"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("COMPLETED");
        int parts = backup.get("partCount").asInt();
        assertThat(parts).as("part objects 1 and 2 are whole").isGreaterThan(2 * PER_OBJECT);
        int objects = (parts + PER_OBJECT - 1) / PER_OBJECT;
        String objectKey = backup.get("objectKey").asString();
        String prefix = objectKey.substring(0, objectKey.lastIndexOf('/') + 1);
        // stored as part objects of three parts beside the manifest, nothing at the object key itself
        assertThat(keys("us-east-1", prefix)).hasSize(objects + 1).contains(backup.get("manifestKey").asString(), partObjectKey(backup, 1),
                partObjectKey(backup, objects)).doesNotContain(objectKey);

        String second = partObjectKey(backup, 2);
        byte[] original = get("us-east-1", second);
        String stray = partObjectKey(backup, objects + 1);
        String which = "part object 2 of " + objects + " (" + second + ", parts 4-6)";
        record Damage(Runnable apply, String found, Runnable undo) {
        }
        List<Damage> damages = List.of(
                new Damage(() -> bed().s3().deleteObject(b -> b.bucket(BackupTestBed.bucket("us-east-1")).key(second)),
                        which + " is missing from meridian-us-east-1", () -> replace("us-east-1", second, original)),
                new Damage(() -> replace("us-east-1", second, Arrays.copyOf(original, original.length - 1)),
                        which + " is " + (original.length - 1) + " bytes, the manifest says " + original.length,
                        () -> replace("us-east-1", second, original)),
                new Damage(() -> replace("us-east-1", stray, new byte[] {1}), "1 object(s) under " + objectKey + ".parts/ that the manifest "
                        + "does not list, " + stray + " the first", () -> bed().s3().deleteObject(
                                b -> b.bucket(BackupTestBed.bucket("us-east-1")).key(stray))));
        for (Damage damage : damages) {
            damage.apply().run();
            // found from the listing alone, before a byte is read: no restore starts
            ApiClient.Response refused = restoreInto(backup, "pg_parts");
            assertProblem(refused, 409, "backup-integrity", null);
            assertThat(refused.json().get("detail").asString()).contains("us-east-1: " + damage.found());
            assertThat(copyDetail(verify(backup), "us-east-1")).isEqualTo("CORRUPT: " + damage.found());
            damage.undo().run();
            assertThat(verify(backup).get("status").asString()).as("intact again").isEqualTo("VERIFIED");
        }
        // part object 1's bytes in part object 2's place: same size, so only the SHA-256 of part 4 tells
        replace("us-east-1", second, get("us-east-1", partObjectKey(backup, 1)));
        assertThat(copyDetail(verify(backup), "us-east-1")).startsWith("CORRUPT: part 4 of " + parts + " (bytes ");
        replace("us-east-1", second, original);
        assertThat(bed().root().resolve("data-us-east-1").resolve("pg_parts")).doesNotExist();

        // deleting the backup removes every part object with the manifest
        ApiClient.Response removed = api().send("DELETE", "/api/v1/backups/" + backup.get("id").asString(), TestTokens.admin(), null);
        assertThat(removed.status()).as(removed.body()).isEqualTo(200);
        assertThat(keys("us-east-1", prefix)).isEmpty();
    }
}
