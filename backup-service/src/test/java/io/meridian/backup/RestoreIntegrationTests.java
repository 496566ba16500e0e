package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.meridian.stack.Ports;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/** Restores: new database in another region, replacement with confirmation, residency, physical, cancellation. */
class RestoreIntegrationTests extends BackupIntegrationTest {

    private static final String DIGEST = "SELECT count(*) || ':' || sum(('x' || left(md5(t::text), 16))::bit(64)::bigint::numeric) FROM ledger t";
    private static final String SCANS = "SELECT count(*) || ':' || string_agg(md5(image), ',' ORDER BY id) FROM scans";

    @BeforeAll
    static void data() {
        BackupTestBed.get().sql("us-east-1", "postgres", "DROP DATABASE IF EXISTS shop WITH (FORCE)", "CREATE DATABASE shop");
        BackupTestBed.get().sql("us-east-1", "shop",
                "CREATE TABLE ledger (id bigint PRIMARY KEY, account text, amount numeric(12,2), memo text)",
                "INSERT INTO ledger SELECT i, 'acct-' || (i % 311), (i % 1000) / 7.0, repeat(md5(i::text), 4) FROM generate_series(1, 60000) i",
                // rows larger than the chunks a restore rewrites the archive into, and a large object (a data block of its own kind)
                "CREATE TABLE scans (id int PRIMARY KEY, image bytea)",
                "INSERT INTO scans SELECT i, decode(repeat(md5(i::text), 10000 * i), 'hex') FROM generate_series(1, 3) i",
                "SELECT lo_from_bytea(424242, convert_to(repeat('a large object ', 40000), 'UTF8'))");
    }

    @Test
    void aBackupIsRestoredIntoANewDatabaseOfAnotherRegionFromTheNearestCopyAndChecked() {
        String expected = bed().value("us-east-1", "shop", DIGEST);
        String scans = bed().value("us-east-1", "shop", SCANS);
        JsonNode backup = backupNow(logical("us-east-1", "shop", List.of("us-west-2"), "RESTORE_TEST"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");

        ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                "targetRegion", "us-west-2", "target", "shop_copy"), TestTokens.operator());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());

        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");
        assertThat(restore.get("sourceRegion").asString()).as("nearest copy").isEqualTo("us-west-2");
        assertThat(restore.get("bytesDone").asLong()).isEqualTo(backup.get("sizeBytes").asLong());
        assertThat(restore.get("result").get("tablesCompared").asInt()).isEqualTo(2);
        assertThat(bed().value("us-west-2", "shop_copy", DIGEST)).isEqualTo(expected);
        assertThat(bed().value("us-west-2", "shop_copy", SCANS)).isEqualTo(scans).startsWith("3:");
        assertThat(bed().value("us-west-2", "shop_copy", "SELECT md5(lo_get(424242))"))
                .isEqualTo(bed().value("us-east-1", "shop", "SELECT md5(lo_get(424242))")).hasSize(32);
        assertThat(bed().value("us-west-2", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_%'")).isEqualTo("0");
    }

    @Test
    void replacingALiveDatabaseNeedsConfirmationAndTheAdminRole() {
        JsonNode backup = backupNow(logical("us-east-1", "shop", List.of(), "CHECKSUM"));
        String before = bed().value("us-east-1", "shop", DIGEST);
        bed().sql("us-east-1", "shop", "DELETE FROM ledger WHERE id % 2 = 0");
        String id = backup.get("id").asString();

        assertProblem(post("/api/v1/backups/restores", Map.of("backupId", id, "targetRegion", "us-east-1", "target", "shop"),
                TestTokens.operator()), 409, "confirmation-required", "confirm");
        assertProblem(post("/api/v1/backups/restores", Map.of("backupId", id, "targetRegion", "us-east-1", "target", "shop", "mode", "REPLACE",
                "confirm", "shop2"), TestTokens.admin()), 409, "confirmation-required", "confirm");
        assertProblem(post("/api/v1/backups/restores", Map.of("backupId", id, "targetRegion", "us-east-1", "target", "shop", "mode", "REPLACE",
                "confirm", "shop"), TestTokens.operator()), 403, "forbidden", null);
        assertProblem(post("/api/v1/backups/restores", Map.of("backupId", id, "targetRegion", "eu-west-1", "target", "shop"),
                TestTokens.admin()), 409, "residency-violation", "targetRegion");
        assertProblem(post("/api/v1/backups/restores", Map.of("backupId", id, "targetRegion", "us-east-1", "target", "../../etc/passwd"),
                TestTokens.admin()), 400, "validation", "target");
        assertThat(bed().value("us-east-1", "shop", "SELECT count(*) FROM ledger")).as("nothing touched").isEqualTo("30000");

        ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", id, "targetRegion", "us-east-1", "target", "shop",
                "mode", "REPLACE", "confirm", "shop"), TestTokens.admin());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());

        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");
        assertThat(restore.get("result").get("replaced").asBoolean()).isTrue();
        assertThat(bed().value("us-east-1", "shop", DIGEST)).isEqualTo(before);
        ApiClient.Response audit = api().get("/api/v1/backups/audit?limit=1000", TestTokens.viewer());
        assertThat(audit.json()).extracting(a -> a.get("action").asString() + " " + a.get("outcome").asString())
                .contains("restore.start SUCCEEDED", "restore.finish SUCCEEDED", "POST /api/v1/backups/restores REJECTED");
    }

    @Test
    void aCancelledRestoreLeavesNoTargetBehind() {
        bed().sql("us-east-1", "postgres", "DROP DATABASE IF EXISTS bulk WITH (FORCE)", "CREATE DATABASE bulk");
        bed().sql("us-east-1", "bulk", "CREATE TABLE blobs (id int PRIMARY KEY, body text)",
                "INSERT INTO blobs SELECT i, repeat(md5(i::text), 40) FROM generate_series(1, 120000) i");
        JsonNode backup = backupNow(logical("us-east-1", "bulk", List.of(), "NONE"));

        ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                "targetRegion", "us-west-2", "target", "bulk_restored"), TestTokens.operator());
        String id = started.json().get("id").asString();
        ApiClient.Response cancelled = post("/api/v1/backups/restores/" + id + "/cancel", Map.of(), TestTokens.operator());
        assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
        JsonNode restore = awaitRestore(id);

        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("CANCELLED");
        assertThat(bed().databaseExists("us-west-2", "bulk_restored")).isFalse();
        assertThat(bed().value("us-west-2", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_%'")).isEqualTo("0");
        assertProblem(post("/api/v1/backups/restores/" + id + "/cancel", Map.of(), TestTokens.operator()), 409, "illegal-transition", null);
    }

    @Test
    void aPhysicalBaseBackupIsRestoredIntoADataDirectoryThatStarts() throws Exception {
        String expected = bed().value("us-east-1", "shop", DIGEST);
        String scans = bed().value("us-east-1", "shop", SCANS);
        JsonNode backup = backupNow(Map.of("kind", "PHYSICAL", "region", "us-east-1", "source", "cluster", "copyTargets", List.of("us-west-2"),
                "verification", "CHECKSUM"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");
        assertThat(backup.get("sourceLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
        // stored and copied as part objects (of three parts each, beside the manifest), and the copy verified as such
        String objectKey = backup.get("objectKey").asString();
        for (String region : List.of("us-east-1", "us-west-2")) {
            assertThat(bed().s3().listObjectsV2Paginator(b -> b.bucket(BackupTestBed.bucket(region)).prefix(objectKey)).contents().stream()
                    .map(o -> o.key()).toList()).as(region).hasSize((backup.get("partCount").asInt() + 2) / 3)
                    .allMatch(key -> key.matches(java.util.regex.Pattern.quote(objectKey) + "\\.parts/\\d{6}"));
        }

        ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                "targetRegion", "us-west-2", "target", "pg_restored"), TestTokens.operator());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());
        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");

        // the service proved it: PostgreSQL recovered the data directory from the backup's WAL to writable and it was read
        JsonNode result = restore.get("result");
        assertThat(result.get("writable").asBoolean()).as(result.toString()).isTrue();
        assertThat(result.get("endLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
        JsonNode shop = null;
        for (JsonNode database : result.get("databases")) {
            if (database.get("name").asString().equals("shop")) {
                shop = database;
            }
        }
        assertThat(shop).as(result.toString()).isNotNull();
        JsonNode ledger = shop.get("digests").get(0);
        assertThat(ledger.get("name").asString()).isEqualTo("public.ledger");
        assertThat(ledger.get("count").asLong() + ":" + ledger.get("hash").asString()).as("same rows and content hash as the source")
                .isEqualTo(expected);
        Path dataDir = Path.of(result.get("dataDirectory").asString());
        assertThat(dataDir.resolve("PG_VERSION")).exists();
        assertThat(PostgresCluster.runningPid(dataDir)).as("the proving server was stopped").isEmpty();
        assertThat(dataDir.resolve("backup_label")).as("recovery already ran: the directory starts without it").doesNotExist();
        try (PostgresCluster restored = PostgresCluster.builder("restored", dataDir, Ports.freePort()).build()) {
            restored.initIfNeeded().start();
            try (var c = restored.connect("shop"); var s = c.createStatement(); var rs = s.executeQuery(DIGEST)) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(expected);
            }
        }
        assertThat(Files.list(dataDir.getParent()).map(p -> p.getFileName().toString())).as("no staging or retired directory left")
                .noneMatch(name -> name.startsWith("."));
    }

    @Test
    void aPhysicalRestoreWithoutReadingEveryTableStillRecoversTheDirectoryToWritableBeforeMovingItIntoPlace() throws Exception {
        String expected = bed().value("us-east-1", "shop", DIGEST);
        String scans = bed().value("us-east-1", "shop", SCANS);
        JsonNode backup = backupNow(Map.of("kind", "PHYSICAL", "region", "us-east-1", "source", "cluster", "copyTargets", List.of(),
                "verification", "NONE"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("COMPLETED");
        assertThat(backup.get("partCount").asInt()).as("read in parallel parts").isGreaterThan(3);

        ApiClient.Response started = post("/api/v1/backups/restores", Map.of("backupId", backup.get("id").asString(),
                "targetRegion", "us-west-2", "target", "pg_fast", "verifyContents", false), TestTokens.operator());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode restore = awaitRestore(started.json().get("id").asString());
        assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("SUCCEEDED");
        assertThat(restore.get("bytesDone").asLong()).isEqualTo(backup.get("sizeBytes").asLong());

        JsonNode result = restore.get("result");
        assertThat(result.get("writable").asBoolean()).as(result.toString()).isTrue();
        assertThat(result.get("tablesRead").asBoolean()).isFalse();
        JsonNode shop = null;
        for (JsonNode database : result.get("databases")) {
            if (database.get("name").asString().equals("shop")) {
                shop = database;
            }
        }
        assertThat(shop).as(result.toString()).isNotNull();
        assertThat(shop.get("tables").asInt()).isEqualTo(2);
        assertThat(shop.has("digests")).as("no table was read").isFalse();
        Path dataDir = Path.of(result.get("dataDirectory").asString());
        assertThat(PostgresCluster.runningPid(dataDir)).isEmpty();
        assertThat(dataDir.resolve("backup_label")).as("recovery already ran").doesNotExist();
        try (PostgresCluster restored = PostgresCluster.builder("restored-fast", dataDir, Ports.freePort()).build()) {
            restored.initIfNeeded().start();
            try (var c = restored.connect("shop"); var s = c.createStatement(); var rs = s.executeQuery(DIGEST)) {
                rs.next();
                assertThat(rs.getString(1)).as("the restored cluster holds the source's rows").isEqualTo(expected);
            }
        }
        assertThat(Files.list(dataDir.getParent()).map(p -> p.getFileName().toString())).noneMatch(name -> name.startsWith("."));
    }

    @Test
    void restoresAreListedNewestFirst() {
        ApiClient.Response list = api().get("/api/v1/backups/restores?limit=5", TestTokens.viewer());
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().isArray()).isTrue();
        assertProblem(api().get("/api/v1/backups/restores/..%2F..%2Fetc", TestTokens.viewer()), 400, null, null);
    }
}
