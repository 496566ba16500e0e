package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.scheduling.annotation.ScheduledAnnotationBeanPostProcessor;

import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/**
 * A second instance starts a backup or a restore and dies mid-way (its worker held by the phase gate,
 * its heartbeats stopped, none of its cleanup run); this instance, holding the scheduler lease, finds
 * the work from the catalog, cleans up what the dead one left (multipart uploads, the temporary
 * database), records it as interrupted and, for a backup, starts a fresh run. The dead instance, let
 * go afterwards, can no longer change anything.
 */
class RecoveryIntegrationTests extends BackupIntegrationTest {

    @BeforeAll
    static void data() {
        BackupTestBed bed = BackupTestBed.get();
        bed.sql("us-east-1", "postgres", "DROP DATABASE IF EXISTS crashy WITH (FORCE)", "CREATE DATABASE crashy");
        bed.sql("us-east-1", "crashy", "CREATE TABLE events (id bigint PRIMARY KEY, body text)",
                "INSERT INTO events SELECT i, repeat(md5(i::text), 8) FROM generate_series(1, 40000) i");
    }

    /** Another backup-service instance on the same catalog and managed side. */
    static ConfigurableApplicationContext startSecondInstance(String name) {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--meridian.backup.instance-name=" + name));
        TestInfrastructure.register((key, value) -> args.add("--" + key + "=" + value.get()));
        BackupTestBed.get().register((key, value) -> args.add("--" + key + "=" + value.get()));
        return new SpringApplicationBuilder(BackupServiceApplication.class).run(args.toArray(String[]::new));
    }

    /** The instance dies: its held worker never comes back on its own and its heartbeats (all its scheduled work) stop. */
    static void kill(ConfigurableApplicationContext instance) {
        instance.getBean(ScheduledAnnotationBeanPostProcessor.class).destroy();
    }

    static ApiClient api(ConfigurableApplicationContext instance) {
        return new ApiClient(Integer.parseInt(instance.getEnvironment().getProperty("local.server.port")));
    }

    private List<String> incompleteUploads(String region, String prefix) {
        return bed().s3().listMultipartUploads(b -> b.bucket(BackupTestBed.bucket(region)).prefix(prefix)).uploads().stream()
                .map(u -> u.key()).filter(k -> k.startsWith(prefix)).toList();
    }

    @Test
    void aRunWhoseInstanceDiedMidUploadIsCleanedUpMarkedInterruptedAndRunAfresh() throws Exception {
        try (ConfigurableApplicationContext second = startSecondInstance("backup-b")) {
            TestPhaseGate.Arm arm = second.getBean(TestPhaseGate.class).arm("backup", "UPLOADING");
            ApiClient.Response started = api(second).send("POST", "/api/v1/backups", TestTokens.operator(),
                    ApiClient.json(logical("us-east-1", "crashy", List.of("us-west-2"), "CHECKSUM")));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String id = started.json().get("id").asString();
            assertThat(arm.reached.await(60, TimeUnit.SECONDS)).as("the run reached its upload").isTrue();
            String prefix = "backups/us-east-1/crashy/" + id + "/";
            assertThat(incompleteUploads("us-east-1", prefix)).as("the dead run's upload is left open").hasSize(1);

            kill(second);
            JsonNode interrupted = awaitFinished(id);

            assertThat(interrupted.get("status").asString()).as(interrupted.toString()).isEqualTo("INTERRUPTED");
            assertThat(interrupted.get("error").asString()).contains("interrupted in phase WRITING", "backup-b/",
                    "1 multipart upload(s) aborted", "a fresh run was started: ", "(attempt 2 of 2)");
            assertThat(incompleteUploads("us-east-1", prefix)).isEmpty();
            assertThat(incompleteUploads("us-west-2", prefix)).isEmpty();
            JsonNode audit = api().get("/api/v1/backups/audit?target=backup/" + id, TestTokens.viewer()).json();
            JsonNode recovered = null;
            for (JsonNode entry : audit) {
                if (entry.get("action").asString().equals("backup.recover")) {
                    recovered = entry;
                }
            }
            assertThat(recovered).as(audit.toString()).isNotNull();
            assertThat(recovered.get("actor").asString()).isEqualTo("system");
            String fresh = recovered.get("after").get("restartedAs").asString();

            JsonNode rerun = awaitFinished(fresh);
            assertThat(rerun.get("status").asString()).as(rerun.toString()).isEqualTo("VERIFIED");
            assertThat(rerun.get("attempt").asInt()).isEqualTo(2);
            assertThat(rerun.get("retryOf").asString()).isEqualTo(id);
            assertThat(rerun.get("copies")).hasSize(2);

            // the dead instance comes back to life: it owns nothing any more and changes nothing
            arm.release.countDown();
            assertThat(arm.passed.await(30, TimeUnit.SECONDS)).isTrue();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(20))
                    .until(() -> backup(id).get("status").asString().equals("INTERRUPTED") && incompleteUploads("us-east-1", prefix).isEmpty());
        }
    }

    @Test
    void aRunWhoseInstanceDiedInItsRestoreTestLeavesNoScratchDatabaseAndNoObjects() throws Exception {
        try (ConfigurableApplicationContext second = startSecondInstance("backup-d")) {
            TestPhaseGate.Arm arm = second.getBean(TestPhaseGate.class).arm("backup", "RESTORE_TEST_COMPARING");
            ApiClient.Response started = api(second).send("POST", "/api/v1/backups", TestTokens.operator(),
                    ApiClient.json(logical("us-east-1", "crashy", List.of("us-west-2"), "RESTORE_TEST")));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String id = started.json().get("id").asString();
            assertThat(arm.reached.await(90, TimeUnit.SECONDS)).as("the run reached its restore test").isTrue();
            String scratch = bed().value("us-east-1", "postgres",
                    "SELECT string_agg(datname, ',') FROM pg_database WHERE datname LIKE 'meridian_restore_test_%'");
            assertThat(scratch).as("the dead run's scratch database").matches("meridian_restore_test_[0-9a-f]+");
            String prefix = "backups/us-east-1/crashy/" + id + "/";
            assertThat(bed().s3().listObjectsV2(b -> b.bucket(BackupTestBed.bucket("us-west-2")).prefix(prefix)).contents())
                    .as("object and manifest copied before it died").hasSize(2);

            kill(second);
            JsonNode interrupted = awaitFinished(id);

            assertThat(interrupted.get("status").asString()).as(interrupted.toString()).isEqualTo("INTERRUPTED");
            assertThat(interrupted.get("error").asString()).contains("interrupted in phase RESTORE_TEST", "restore test database " + scratch
                    + " dropped", "4 object(s) deleted");
            assertThat(bed().databaseExists("us-east-1", scratch)).isFalse();
            for (String region : List.of("us-east-1", "us-west-2")) {
                assertThat(bed().s3().listObjectsV2(b -> b.bucket(BackupTestBed.bucket(region)).prefix(prefix)).contents()).isEmpty();
            }
            assertThat(interrupted.get("copies")).extracting(c -> c.get("status").asString()).containsOnly("DELETED");
            arm.release.countDown();
            assertThat(arm.passed.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aPhysicalRestoreWhoseInstanceDiedWhileItsProvingServerRanLeavesNoServerAndNoStagingDirectory() throws Exception {
        JsonNode backup = backupNow(Map.of("kind", "PHYSICAL", "region", "us-east-1", "source", "cluster", "copyTargets", List.of(),
                "verification", "NONE"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("COMPLETED");
        Path dataRoot = bed().root().resolve("data-us-east-1");
        try (ConfigurableApplicationContext second = startSecondInstance("backup-e")) {
            TestPhaseGate.Arm arm = second.getBean(TestPhaseGate.class).arm("restore", "CHECKING");
            ApiClient.Response started = api(second).send("POST", "/api/v1/backups/restores", TestTokens.operator(),
                    ApiClient.json(Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-east-1", "target", "pg_crashed")));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String id = started.json().get("id").asString();
            assertThat(arm.reached.await(120, TimeUnit.SECONDS)).as("the restore's proving server runs").isTrue();
            Path staging = dataRoot.resolve(".pg_crashed.restoring-" + id);
            assertThat(PostgresCluster.runningPid(staging)).as("a server runs on the staging directory").isPresent();

            kill(second);
            JsonNode restore = awaitRestore(id);

            assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("INTERRUPTED");
            assertThat(restore.get("error").asString()).contains("interrupted in phase CHECKING", "staging directory", "removed");
            assertThat(PostgresCluster.runningPid(staging)).as("the dead restore's server was stopped").isEmpty();
            assertThat(staging).doesNotExist();
            assertThat(dataRoot.resolve("pg_crashed")).doesNotExist();
            arm.release.countDown();
            assertThat(arm.passed.await(60, TimeUnit.SECONDS)).isTrue();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> restore(id).get("status").asString()
                    .equals("INTERRUPTED") && !Files.exists(dataRoot.resolve("pg_crashed")));
        }
    }

    @Test
    void aPhysicalRestoreWhoseInstanceDiedAfterExtractingLeavesNoStagingDirectory() throws Exception {
        JsonNode backup = backupNow(Map.of("kind", "PHYSICAL", "region", "us-east-1", "source", "cluster", "copyTargets", List.of(),
                "verification", "NONE"));
        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("COMPLETED");
        Path dataRoot = bed().root().resolve("data-us-east-1");
        try (ConfigurableApplicationContext second = startSecondInstance("backup-f")) {
            // the checked parts were extracted into the staging directory while VERIFYING; the instance dies right after
            TestPhaseGate.Arm arm = second.getBean(TestPhaseGate.class).arm("restore", "RESTORING");
            ApiClient.Response started = api(second).send("POST", "/api/v1/backups/restores", TestTokens.operator(),
                    ApiClient.json(Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-east-1", "target", "pg_extracted")));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String id = started.json().get("id").asString();
            assertThat(arm.reached.await(120, TimeUnit.SECONDS)).as("the restore extracted its copy").isTrue();
            Path staging = dataRoot.resolve(".pg_extracted.restoring-" + id);
            assertThat(staging.resolve("PG_VERSION")).as("the checked archive is in the staging directory").exists();
            assertThat(dataRoot.resolve("pg_extracted")).as("never the target before the proof").doesNotExist();

            kill(second);
            JsonNode restore = awaitRestore(id);

            assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("INTERRUPTED");
            assertThat(restore.get("error").asString()).contains("interrupted in phase RESTORING", "staging directory", "removed");
            assertThat(staging).doesNotExist();
            assertThat(dataRoot.resolve("pg_extracted")).doesNotExist();
            arm.release.countDown();
            assertThat(arm.passed.await(60, TimeUnit.SECONDS)).isTrue();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30)).until(() -> restore(id).get("status").asString()
                    .equals("INTERRUPTED") && !Files.exists(dataRoot.resolve("pg_extracted")) && !Files.exists(staging));
        }
    }

    @Test
    void aReplacingRestoreWhoseInstanceDiedBeforeTheSwapLeavesTheTargetAsItWasAndNoTemporaryDatabase() throws Exception {
        JsonNode backup = backupNow(logical("us-east-1", "crashy", List.of(), "NONE"));
        bed().sql("us-east-1", "crashy", "DELETE FROM events WHERE id > 30000");
        try (ConfigurableApplicationContext second = startSecondInstance("backup-c")) {
            TestPhaseGate.Arm arm = second.getBean(TestPhaseGate.class).arm("restore", "SWAPPING");
            ApiClient.Response started = api(second).send("POST", "/api/v1/backups/restores", TestTokens.admin(),
                    ApiClient.json(Map.of("backupId", backup.get("id").asString(), "targetRegion", "us-east-1", "target", "crashy",
                            "mode", "REPLACE", "confirm", "crashy")));
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            String id = started.json().get("id").asString();
            assertThat(arm.reached.await(90, TimeUnit.SECONDS)).as("the restore reached the swap").isTrue();
            assertThat(bed().value("us-east-1", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_restoring_%'"))
                    .as("the dead restore's temporary database is left behind").isEqualTo("1");

            kill(second);
            JsonNode restore = awaitRestore(id);

            assertThat(restore.get("status").asString()).as(restore.toString()).isEqualTo("INTERRUPTED");
            assertThat(restore.get("phase").asString()).isEqualTo("SWAPPING");
            assertThat(restore.get("error").asString()).contains("backup-c/", "temporary database meridian_restoring_",
                    "crashy is as it was before the restore");
            assertThat(bed().value("us-east-1", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_%'")).isEqualTo("0");
            assertThat(bed().value("us-east-1", "crashy", "SELECT count(*) FROM events")).isEqualTo("30000");

            // let the dead instance's worker go: it must not swap anything in any more
            arm.release.countDown();
            assertThat(arm.passed.await(30, TimeUnit.SECONDS)).isTrue();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(20))
                    .until(() -> restore(id).get("status").asString().equals("INTERRUPTED"));
            assertThat(bed().value("us-east-1", "crashy", "SELECT count(*) FROM events")).isEqualTo("30000");
            assertThat(bed().value("us-east-1", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_%'")).isEqualTo("0");
        }
    }
}
