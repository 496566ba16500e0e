package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/** Policy validation (bad input is rejected with the field named and nothing stored) and retention. */
class PolicyAndRetentionIntegrationTests extends BackupIntegrationTest {

    @BeforeAll
    static void data() {
        BackupTestBed.get().sql("eu-central-1", "app", "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, text text)",
                "INSERT INTO notes SELECT i, 'n' || i FROM generate_series(1, 1000) i ON CONFLICT DO NOTHING");
    }

    private Map<String, Object> policy(String name, Map<String, Object> overrides) {
        Map<String, Object> body = new java.util.LinkedHashMap<>(Map.of("name", name, "region", "eu-central-1", "source", "app",
                "cron", "0 0 3 * * *"));
        body.putAll(overrides);
        return body;
    }

    @Test
    void badInputIsRejectedNamingTheField() {
        assertProblem(post("/api/v1/backups/policies", policy("bad-cron", Map.of("cron", "every day at 3")), TestTokens.operator()), 400,
                "validation", "cron");
        assertProblem(post("/api/v1/backups/policies", policy("bad-cron", Map.of("cron", "0 0 25 * * *")), TestTokens.operator()), 400,
                "validation", "cron");
        assertProblem(post("/api/v1/backups/policies", policy("../../etc", Map.of()), TestTokens.operator()), 400, "validation", "name");
        assertProblem(post("/api/v1/backups/policies", policy("tricky", Map.of("source", "app/../../x")), TestTokens.operator()), 400,
                "validation", "source");
        assertProblem(post("/api/v1/backups/policies", policy("tricky", Map.of("source", "--file=/etc/passwd")), TestTokens.operator()), 400,
                "validation", "source");
        assertProblem(post("/api/v1/backups/policies", policy("tricky", Map.of("region", "eu-west-1/../us")), TestTokens.operator()), 400,
                "validation", "region");
        assertProblem(post("/api/v1/backups/policies", policy("tricky", Map.of("retentionMaxAge", "forever")), TestTokens.operator()), 400,
                "validation", "retentionMaxAge");
        assertProblem(post("/api/v1/backups/policies", policy("tricky", Map.of("retentionCount", 0)), TestTokens.operator()), 400,
                "validation", "retentionCount");
        assertProblem(post("/api/v1/backups/policies", policy("tricky", Map.of("kind", "EVERYTHING")), TestTokens.operator()), 400,
                "validation", "kind");
        assertProblem(api().get("/api/v1/backups/policies/not-an-id", TestTokens.viewer()), 400, "validation", "id");
        assertProblem(api().get("/api/v1/backups/x%2e%2e", TestTokens.viewer()), 400, null, null);
        assertProblem(api().get("/api/v1/backups/3f0c2b9e-6f1d-4c59-9d8e-1b2a3c4d5e6f", TestTokens.viewer()), 404, "not-found", null);
        assertThat(api().get("/api/v1/backups/policies", TestTokens.viewer()).json()).extracting(p -> p.get("name").asString())
                .doesNotContain("bad-cron", "tricky");
        assertProblem(post("/api/v1/backups/policies", policy("viewer-cannot", Map.of()), TestTokens.viewer()), 403, "forbidden", null);
    }

    @Test
    void retentionKeepsTheNewestAndNeverTheNewestVerifiedBackup() {
        ApiClient.Response created = post("/api/v1/backups/policies", policy("keep-two", Map.of("retentionCount", 2, "enabled", false)),
                TestTokens.operator());
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String policyId = created.json().get("id").asString();
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ApiClient.Response run = post("/api/v1/backups/policies/" + policyId + "/runs", Map.of(), TestTokens.operator());
            assertThat(run.status()).as(run.body()).isEqualTo(202);
            ids.add(run.json().get("id").asString());
            assertThat(awaitFinished(ids.getLast()).get("status").asString()).isEqualTo("VERIFIED");
        }
        assertThat(backup(ids.get(0)).get("status").asString()).isEqualTo("DELETED");
        assertThat(backup(ids.get(1)).get("status").asString()).isEqualTo("DELETED");
        assertThat(backup(ids.get(2)).get("status").asString()).isEqualTo("VERIFIED");
        assertThat(backup(ids.get(3)).get("status").asString()).isEqualTo("VERIFIED");
        JsonNode deleted = backup(ids.get(0));
        assertThat(bed().s3().listObjectsV2(b -> b.bucket(BackupTestBed.bucket("eu-central-1"))
                .prefix("backups/eu-central-1/app/" + ids.get(0))).contents()).isEmpty();
        assertThat(deleted.get("copies").get(0).get("status").asString()).isEqualTo("DELETED");

        // the newest verified backup cannot be deleted, even by an admin; an older one can
        assertProblem(api().send("DELETE", "/api/v1/backups/" + ids.get(3), TestTokens.admin(), null), 409, "illegal-transition", null);
        assertProblem(api().send("DELETE", "/api/v1/backups/" + ids.get(2), TestTokens.operator(), null), 403, "forbidden", null);
        ApiClient.Response removed = api().send("DELETE", "/api/v1/backups/" + ids.get(2), TestTokens.admin(), null);
        assertThat(removed.status()).as(removed.body()).isEqualTo(200);
        assertThat(removed.json().get("status").asString()).isEqualTo("DELETED");
    }
}
