package io.meridian.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.ServiceIntegrationTest;
import io.meridian.testsupport.TestTokens;
import tools.jackson.databind.JsonNode;

/** Base of the backup service's integration tests: the service against real PostgreSQL clusters, s3proxy and Kubernetes mocks. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class BackupIntegrationTest extends ServiceIntegrationTest {

    static final Duration LONG = Duration.ofSeconds(90);

    @LocalServerPort
    int port;

    @DynamicPropertySource
    static void backupBed(DynamicPropertyRegistry registry) {
        BackupTestBed.get().register(registry);
    }

    BackupTestBed bed() {
        return BackupTestBed.get();
    }

    ApiClient api() {
        return new ApiClient(port);
    }

    ApiClient.Response post(String path, Object body, String token) {
        return api().send("POST", path, token, ApiClient.json(body));
    }

    JsonNode backup(String id) {
        ApiClient.Response response = api().get("/api/v1/backups/" + id, TestTokens.viewer());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    /** Starts an on-demand backup and waits until it leaves RUNNING; returns it. */
    JsonNode backupNow(Map<String, Object> request) {
        ApiClient.Response started = post("/api/v1/backups", request, TestTokens.operator());
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        return awaitFinished(started.json().get("id").asString());
    }

    JsonNode awaitFinished(String id) {
        await().atMost(LONG).pollInterval(Duration.ofMillis(100)).until(() -> !backup(id).get("status").asString().equals("RUNNING"));
        return backup(id);
    }

    JsonNode restore(String id) {
        ApiClient.Response response = api().get("/api/v1/backups/restores/" + id, TestTokens.viewer());
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json();
    }

    JsonNode awaitRestore(String id) {
        await().atMost(LONG).pollInterval(Duration.ofMillis(100)).until(() -> !restore(id).get("status").asString().equals("RUNNING"));
        return restore(id);
    }

    static Map<String, Object> logical(String region, String source, List<String> copies, String verification) {
        return Map.of("kind", "LOGICAL", "region", region, "source", source, "copyTargets", copies, "verification", verification);
    }

    static void assertProblem(ApiClient.Response response, int status, String type, String field) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        if (type != null) {
            assertThat(response.json().path("type").asString()).as(response.body()).isEqualTo("https://meridian.dev/problems/" + type);
        }
        if (field != null) {
            assertThat(response.json().path("field").asString()).as(response.body()).isEqualTo(field);
        }
    }
}
