package io.meridian.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.meridian.stack.Ports;
import io.meridian.stack.postgres.PostgresCluster;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the sample app in-process against real PostgreSQL clusters, a primary and its streaming
 * standby, and talks to it over HTTP as a client would.
 */
class SampleAppIntegrationTests {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static Path dir;
    private static PostgresCluster primary;
    private static PostgresCluster standby;
    private static SampleApp app;
    private static SampleApp standbyApp;

    @BeforeAll
    static void startDatabasesAndApps() throws IOException {
        // the postgres user must be able to traverse it when the tests run as root
        dir = Files.createTempDirectory(Path.of("/tmp"), "sample-app-tests-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        int[] ports = Ports.freePorts(2);
        primary = PostgresCluster.builder("sample-primary", dir.resolve("primary"), ports[0]).build()
                .initIfNeeded().start();
        primary.createDatabase("app");
        standby = PostgresCluster.standbyOf(primary, "sample-standby", dir.resolve("standby"), ports[1], "sample_standby")
                .start();
        app = SampleApp.start(SampleConfig.of("us-east-1", 0, primary.jdbcUrl("app"), "postgres"));
        standbyApp = SampleApp.start(SampleConfig.of("us-west-2", 0, standby.jdbcUrl("app"), "postgres"));
    }

    @AfterAll
    static void stopEverything() throws IOException {
        for (AutoCloseable c : new AutoCloseable[] {standbyApp, app, standby, primary}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    // keep stopping the others
                }
            }
        }
        if (dir != null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void rootSaysWhichRegionServedAndTheDatabaseRole() throws Exception {
        HttpResponse<String> response = get(app, "/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Meridian-Served-By")).hasValue("us-east-1");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("region").asString()).isEqualTo("us-east-1");
        assertThat(body.get("instance").asString()).startsWith("us-east-1-");
        assertThat(body.get("servedAt").asString()).isNotBlank();
        assertThat(body.at("/database/role").asString()).isEqualTo("primary");

        JsonNode standbyBody = JSON.readTree(get(standbyApp, "/").body());
        assertThat(standbyBody.at("/database/role").asString()).isEqualTo("standby");
    }

    @Test
    void healthReportsTheDatabase() throws Exception {
        HttpResponse<String> health = get(app, "/health");

        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(health.body());
        assertThat(body.get("status").asString()).isEqualTo("UP");
        assertThat(body.get("database").asString()).isEqualTo("UP");
        assertThat(body.get("role").asString()).isEqualTo("primary");
        assertThat(get(app, "/health/live").statusCode()).isEqualTo(200);
    }

    @Test
    void writesThenReadsAnItem() throws Exception {
        HttpResponse<String> created = post(app, "/items", "{\"key\":\"order:1\",\"value\":\"first\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/items/order:1");
        assertThat(JSON.readTree(created.body()).get("region").asString()).isEqualTo("us-east-1");

        HttpResponse<String> replaced = post(app, "/items", "{\"key\":\"order:1\",\"value\":\"second\"}");
        assertThat(replaced.statusCode()).isEqualTo(200);

        HttpResponse<String> read = get(app, "/items/order:1");
        assertThat(read.statusCode()).isEqualTo(200);
        JsonNode item = JSON.readTree(read.body());
        assertThat(item.get("value").asString()).isEqualTo("second");
        assertThat(item.get("updatedAt").asString()).isNotBlank();

        JsonNode list = JSON.readTree(get(app, "/items?limit=1000").body());
        assertThat(list.get("items").valueStream().map(i -> i.get("key").asString())).contains("order:1");
    }

    @Test
    void anUnknownItemIsANotFoundProblem() throws Exception {
        HttpResponse<String> response = get(app, "/items/no-such-key");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("type").asString()).isEqualTo("https://meridian.dev/problems/not-found");
        assertThat(problem.get("status").asInt()).isEqualTo(404);
        assertThat(problem.get("detail").asString()).contains("no-such-key");
    }

    @Test
    void unknownPathsAndWrongMethodsAreProblems() throws Exception {
        assertThat(get(app, "/nowhere").statusCode()).isEqualTo(404);

        HttpResponse<String> wrongMethod = HTTP.send(HttpRequest.newBuilder(app.baseUri().resolve("/health"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET, HEAD");
        assertThat(JSON.readTree(wrongMethod.body()).get("type").asString())
                .isEqualTo("https://meridian.dev/problems/method-not-allowed");
    }

    @Test
    void badBodiesAreBadRequestsNamingTheField() throws Exception {
        HttpResponse<String> wrongType = post(app, "/items", "{\"key\":\"k1\",\"value\":5}");
        assertThat(wrongType.statusCode()).isEqualTo(400);
        JsonNode problem = JSON.readTree(wrongType.body());
        assertThat(problem.get("field").asString()).isEqualTo("value");
        assertThat(problem.get("detail").asString()).contains("value");

        HttpResponse<String> badKey = post(app, "/items", "{\"key\":\"has space\",\"value\":\"v\"}");
        assertThat(badKey.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badKey.body()).get("field").asString()).isEqualTo("key");

        HttpResponse<String> malformed = post(app, "/items", "{\"key\":\"k1\",");
        assertThat(malformed.statusCode()).isEqualTo(400);
        JsonNode malformedProblem = JSON.readTree(malformed.body());
        assertThat(malformedProblem.get("type").asString()).isEqualTo("https://meridian.dev/problems/malformed-request");
        assertThat(malformedProblem.get("detail").asString()).contains("line 1").doesNotContain("Exception");
    }

    @Test
    void anOversizedBodyIsRejected() throws Exception {
        String value = "x".repeat(70 * 1024);
        HttpResponse<String> response = post(app, "/items", "{\"key\":\"big\",\"value\":\"" + value + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(JSON.readTree(response.body()).get("type").asString())
                .isEqualTo("https://meridian.dev/problems/payload-too-large");
    }

    @Test
    void metricsCountRequestsByRouteAndStatus() throws Exception {
        post(app, "/items", "{\"key\":\"metered\",\"value\":\"v\"}");
        get(app, "/items/metered");

        HttpResponse<String> metrics = get(app, "/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(metrics.body())
                .containsPattern("meridian_sample_requests_total\\{[^}]*method=\"GET\"[^}]*route=\"/items/\\{key}\"[^}]*status=\"200\"[^}]*} [1-9]")
                .contains("meridian_sample_request_duration_seconds_bucket{")
                .contains("jvm_memory_used_bytes")
                .contains("hikaricp_connections");
    }

    @Test
    void aStandbyRefusesWritesButServesReplicatedReads() throws Exception {
        assertThat(post(app, "/items", "{\"key\":\"replicated\",\"value\":\"from-primary\"}").statusCode()).isEqualTo(201);

        HttpResponse<String> write = post(standbyApp, "/items", "{\"key\":\"local\",\"value\":\"v\"}");
        assertThat(write.statusCode()).isEqualTo(503);
        JsonNode problem = JSON.readTree(write.body());
        assertThat(problem.get("type").asString()).isEqualTo("https://meridian.dev/problems/read-only-region");
        assertThat(problem.get("detail").asString()).contains("primary");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> read = get(standbyApp, "/items/replicated");
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(read.body()).get("value").asString()).isEqualTo("from-primary");
        });
    }

    @Test
    void startsWithItsDatabaseDownAndReportsDown() throws Exception {
        int nothingListens = Ports.freePort();
        try (SampleApp orphan = SampleApp.start(SampleConfig.of("eu-west-1", 0,
                "jdbc:postgresql://127.0.0.1:" + nothingListens + "/app", "postgres"))) {
            assertThat(get(orphan, "/health/live").statusCode()).isEqualTo(200);

            HttpResponse<String> health = get(orphan, "/health");
            assertThat(health.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(health.body()).get("status").asString()).isEqualTo("DOWN");

            HttpResponse<String> write = post(orphan, "/items", "{\"key\":\"k\",\"value\":\"v\"}");
            assertThat(write.statusCode()).isEqualTo(503);
            assertThat(write.body()).doesNotContain("at org.").doesNotContain("SQLException");
        }
    }

    private static HttpResponse<String> get(SampleApp target, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(target.baseUri().resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(SampleApp target, String path, String json)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(target.baseUri() + path.substring(1)))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
