package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.core.env.ConfigurableEnvironment;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.policy.Scheduler;
import io.meridian.backup.postgres.PgTools;
import io.meridian.backup.postgres.ToolProcess;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestTokens;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbctemplate.JdbcTemplateLockProvider;
import software.amazon.awssdk.services.s3.model.S3Object;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Scheduled and on-demand runs, streamed objects with manifests, copies within the residency zone, verification and restore tests. */
class BackupRunIntegrationTests extends BackupIntegrationTest {

    @Autowired
    Scheduler scheduler;

    @Autowired
    javax.sql.DataSource dataSource;

    @Autowired
    ConfigurableEnvironment environment;

    @BeforeAll
    static void data() {
        BackupTestBed bed = BackupTestBed.get();
        bed.sql("us-east-1", "app",
                "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer text NOT NULL, note text, placed timestamptz NOT NULL)",
                "TRUNCATE orders",
                // ~25 MB, mostly base64 of digests (zstd keeps about three quarters of it): the object spans three 5 MB parts
                "INSERT INTO orders SELECT i, 'customer-' || (i % 977), encode(sha512(i::text::bytea), 'base64') || "
                        + "encode(sha512((i * 7)::text::bytea), 'base64'), timestamptz '2026-01-01' + i * interval '1 minute' "
                        + "FROM generate_series(1, 110000) i",
                "CREATE TABLE IF NOT EXISTS customers (id int PRIMARY KEY, name text)",
                "TRUNCATE customers",
                "INSERT INTO customers SELECT i, 'name ' || i FROM generate_series(1, 977) i");
        bed.sql("eu-west-1", "app", "CREATE TABLE IF NOT EXISTS people (id int PRIMARY KEY, email text)",
                "TRUNCATE people", "INSERT INTO people SELECT i, 'p' || i || '@example.eu' FROM generate_series(1, 5000) i");
    }

    /**
     * The bed runs the zstd path; this is the default one: pg_dump's own gzip at level 1, asked of pg_dump itself (the level is
     * in the archive's header: after the magic, the version, the int and offset sizes and the format, a sign byte and the
     * level in {@code intSize} little-endian bytes).
     */
    @Test
    void theDefaultLogicalDumpIsPgDumpsOwnGzipAtLevelOne(@TempDir Path logs) throws Exception {
        List<ConfigurationPropertySource> sources = new ArrayList<>();
        sources.add(new MapConfigurationPropertySource(Map.of("meridian.backup.logical-compression", "PG_DUMP")));
        ConfigurationPropertySources.get(environment).forEach(sources::add);
        BackupProperties defaults = new Binder(sources).bind("meridian.backup", BackupProperties.class).get();
        PgTools tools = new PgTools(defaults);

        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        String compression;
        try (ToolProcess dump = tools.dump(defaults.regions().get("us-east-1"), "app", null, logs.resolve("pg_dump.log"))) {
            compression = tools.dumpInto(dump, archive);
            dump.awaitSuccess();
        }

        byte[] head = archive.toByteArray();
        assertThat(compression).isEqualTo("pg_dump -Z1");
        assertThat(new String(head, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("PGDMP");
        int intSize = head[8];
        assertThat(head[11]).as("sign of the compression level").isZero();
        long level = 0;
        for (int i = 0; i < intSize; i++) {
            level |= (head[12 + i] & 0xffL) << (8 * i);
        }
        assertThat(level).as("pg_dump's own default would be -1: sign 1, level 1").isEqualTo(1);
    }

    @Test
    void anOnDemandLogicalBackupIsStreamedWithAManifestCopiedVerifiedAndRestoreTested() throws Exception {
        JsonNode backup = backupNow(logical("us-east-1", "app", List.of("us-west-2"), "RESTORE_TEST"));

        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");
        assertThat(backup.get("trigger").asString()).isEqualTo("ON_DEMAND");
        assertThat(backup.get("partCount").asInt()).isGreaterThanOrEqualTo(3);
        assertThat(backup.get("sourceLsn").asString()).matches("[0-9A-F]+/[0-9A-F]+");
        assertThat(backup.get("copies")).hasSize(2);
        for (JsonNode copy : backup.get("copies")) {
            assertThat(copy.get("status").asString()).as(copy.toString()).isEqualTo("VERIFIED");
        }
        JsonNode test = backup.get("restoreTest");
        assertThat(test.get("passed").asBoolean()).as(test.toString()).isTrue();
        assertThat(test.get("tables").asInt()).isEqualTo(2);
        assertThat(bed().value("us-east-1", "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'meridian_restore_test_%'"))
                .isEqualTo("0");

        // Both buckets hold the same bytes, and the manifest's checksums are those of the bytes (recomputed here).
        for (String region : List.of("us-east-1", "us-west-2")) {
            byte[] object = bed().s3().getObjectAsBytes(b -> b.bucket(BackupTestBed.bucket(region)).key(backup.get("objectKey").asString()))
                    .asByteArray();
            JsonNode manifest = JsonMapper.builder().build().readTree(bed().s3().getObjectAsBytes(
                    b -> b.bucket(BackupTestBed.bucket(region)).key(backup.get("manifestKey").asString())).asByteArray());
            assertThat(object.length).isEqualTo(backup.get("sizeBytes").asLong()).isEqualTo(manifest.get("size").asLong());
            assertThat(manifest.get("formatVersion").asInt()).isEqualTo(2);
            assertThat(manifest.get("checksumType").asString()).isEqualTo("COMPOSITE");
            // the object checksum is S3-style composite: SHA-256 over the parts' binary digests, then "-<parts>"
            MessageDigest composite = MessageDigest.getInstance("SHA-256");
            int offset = 0;
            for (JsonNode part : manifest.get("parts")) {
                int size = part.get("size").asInt();
                assertThat(sha256(object, offset, size)).isEqualTo(part.get("sha256").asString());
                composite.update(HexFormat.of().parseHex(sha256(object, offset, size)));
                offset += size;
            }
            assertThat(offset).isEqualTo(object.length);
            String expected = HexFormat.of().formatHex(composite.digest()) + "-" + manifest.get("parts").size();
            assertThat(manifest.get("sha256").asString()).isEqualTo(expected).isEqualTo(backup.get("sha256").asString());
            assertThat(manifest.get("toolVersions").get("pg_dump").asString()).startsWith("pg_dump (PostgreSQL)");
            assertThat(manifest.get("contents")).extracting(c -> c.get("name").asString())
                    .containsExactly("public.customers", "public.orders");
        }
        ApiClient.Response audit = api().get("/api/v1/backups/audit?target=backup/" + backup.get("id").asString(), TestTokens.viewer());
        assertThat(audit.json()).extracting(a -> a.get("action").asString()).contains("backup.start", "backup.run");
    }

    @Test
    void euDataIsCopiedOnlyWithinTheEuZone() {
        ApiClient.Response refused = post("/api/v1/backups", logical("eu-west-1", "app", List.of("eu-central-1", "us-east-1"), "CHECKSUM"),
                TestTokens.operator());
        assertProblem(refused, 409, "residency-violation", "copyTargets[1]");
        ApiClient.Response policy = post("/api/v1/backups/policies", Map.of("name", "eu-leak", "region", "eu-west-1", "source", "app",
                "cron", "0 0 2 * * *", "copyTargets", List.of("us-west-2")), TestTokens.operator());
        assertProblem(policy, 409, "residency-violation", "copyTargets[0]");

        JsonNode backup = backupNow(logical("eu-west-1", "app", List.of("eu-central-1"), "CHECKSUM"));

        assertThat(backup.get("status").asString()).as(backup.toString()).isEqualTo("VERIFIED");
        assertThat(backup.get("zone").asString()).isEqualTo("EU");
        assertThat(backup.get("copies")).extracting(c -> c.get("region").asString()).containsExactly("eu-central-1", "eu-west-1");
        for (String us : List.of("us-east-1", "us-west-2")) {
            List<S3Object> leaked = bed().s3().listObjectsV2(b -> b.bucket(BackupTestBed.bucket(us)).prefix("backups/eu-west-1/")).contents();
            assertThat(leaked).as("EU objects in " + us).isEmpty();
        }
    }

    @Test
    void aPolicyRunsOnItsScheduleAndOnlyTheLeaseHolderSchedules() throws Exception {
        ApiClient.Response created = post("/api/v1/backups/policies", Map.of("name", "every-two-seconds", "region", "us-west-2",
                "source", "app", "cron", "*/2 * * * * *", "retentionCount", 50, "verification", "CHECKSUM"), TestTokens.operator());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String policyId = created.json().get("id").asString();
        bed().sql("us-west-2", "app", "CREATE TABLE IF NOT EXISTS t (i int)");

        await().atMost(LONG).until(() -> scheduled(policyId).stream().filter(b -> b.get("status").asString().equals("VERIFIED")).count() >= 2);
        List<JsonNode> runs = scheduled(policyId);
        assertThat(runs).extracting(b -> b.get("scheduledFor").asString()).doesNotHaveDuplicates();

        // Another instance holds the lease: this one schedules nothing.
        JdbcTemplateLockProvider other = new JdbcTemplateLockProvider(JdbcTemplateLockProvider.Configuration.builder()
                .withJdbcTemplate(new org.springframework.jdbc.core.JdbcTemplate(dataSource)).withTableName("shedlock").usingDbTime()
                .withLockedByValue("other-instance").build());
        SimpleLock lock = await().atMost(LONG).until(() -> other.lock(new LockConfiguration(java.time.Instant.now(), Scheduler.LEASE,
                java.time.Duration.ofMinutes(5), java.time.Duration.ZERO)), java.util.Optional::isPresent).orElseThrow();
        try {
            Scheduler.Tick tick = scheduler.tick();
            assertThat(tick.leaseHeld()).isFalse();
            assertThat(tick.started()).isEmpty();
        } finally {
            lock.unlock();
        }
        ApiClient.Response disabled = post("/api/v1/backups/policies/" + policyId + "/disable", Map.of(), TestTokens.operator());
        assertThat(disabled.status()).as(disabled.body()).isEqualTo(200);
        ApiClient.Response onDemand = post("/api/v1/backups/policies/" + policyId + "/runs", Map.of(), TestTokens.operator());
        assertThat(onDemand.status()).as(onDemand.body()).isEqualTo(202);
        assertThat(awaitFinished(onDemand.json().get("id").asString()).get("trigger").asString()).isEqualTo("ON_DEMAND");
    }

    private List<JsonNode> scheduled(String policyId) {
        JsonNode all = api().get("/api/v1/backups?region=us-west-2&source=app&limit=1000", TestTokens.viewer()).json();
        List<JsonNode> runs = new java.util.ArrayList<>();
        all.forEach(b -> {
            if (policyId.equals(b.path("policyId").asString(null)) && b.get("trigger").asString().equals("SCHEDULED")) {
                runs.add(b);
            }
        });
        return runs;
    }

    static String sha256(byte[] data, int offset, int length) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        digest.update(data, offset, length);
        return HexFormat.of().formatHex(digest.digest());
    }
}
