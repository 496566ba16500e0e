package io.meridian.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.route.RouteLocator;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.sun.net.httpserver.HttpServer;

import io.meridian.stack.Ports;
import io.meridian.testsupport.TestInfrastructure;
import io.meridian.testsupport.TestTokens;
import io.netty.util.ResourceLeakDetector;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway in front of real HTTP upstreams (one small server per control-plane service), with
 * tokens signed by the shared test key and the real Kafka broker.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayIntegrationTests {

    record Seen(String service, String method, String path, String authorization, String requestId) {
    }

    static final Map<String, HttpServer> UPSTREAMS = new ConcurrentHashMap<>();
    static final List<Seen> SEEN = new CopyOnWriteArrayList<>();
    static final int DEAD_PORT = Ports.freePort();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) throws IOException {
        TestInfrastructure.register(registry);
        for (String service : List.of("region", "routing", "replication", "failover", "backup")) {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", exchange -> {
                SEEN.add(new Seen(service, exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")),
                        String.valueOf(exchange.getRequestHeaders().getFirst("X-Request-Id"))));
                exchange.getRequestBody().readAllBytes();
                byte[] body = ("{\"service\":\"" + service + "\"}").getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            UPSTREAMS.put(service, server);
            String url = "failover".equals(service) ? "http://127.0.0.1:" + DEAD_PORT
                    : "http://127.0.0.1:" + server.getAddress().getPort();
            registry.add("meridian.gateway.services." + service, () -> url);
        }
    }

    @AfterAll
    static void stopUpstreams() {
        UPSTREAMS.values().forEach(server -> server.stop(0));
    }

    @LocalServerPort
    int port;

    @Autowired
    RouteLocator routes;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final JsonMapper json = JsonMapper.builder().build();

    @BeforeEach
    void forget() {
        SEEN.clear();
    }

    @Test
    void routesEachApiAreaToItsServiceWithTheCallersToken() throws Exception {
        String token = TestTokens.viewer();
        Map<String, String> areas = Map.of("/api/v1/regions", "region", "/api/v1/regions/eu-west-1", "region",
                "/api/v1/deployments", "region", "/api/v1/routing/policies", "routing", "/api/v1/replication/links", "replication",
                "/api/v1/backups", "backup", "/api/v1/restores/r-1", "backup");
        for (Map.Entry<String, String> area : areas.entrySet()) {
            HttpResponse<String> response = send("GET", area.getKey(), token, null);
            assertThat(response.statusCode()).as(area.getKey()).isEqualTo(200);
            assertThat(json.readTree(response.body()).get("service").asString()).as(area.getKey()).isEqualTo(area.getValue());
        }
        assertThat(SEEN).hasSize(areas.size()).allSatisfy(seen -> assertThat(seen.authorization()).isEqualTo("Bearer " + token));
        HttpResponse<String> write = send("POST", "/api/v1/regions", TestTokens.operator(), "{}");
        assertThat(write.statusCode()).isEqualTo(200);
        assertThat(SEEN).last().satisfies(seen -> {
            assertThat(seen.method()).isEqualTo("POST");
            assertThat(seen.service()).isEqualTo("region");
        });
    }

    @Test
    void everyControlRequestCarriesAnOperationIdToItsServiceAndBack() throws Exception {
        HttpRequest named = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/regions"))
                .header("Authorization", "Bearer " + TestTokens.viewer()).header("X-Request-Id", "ops-tool.42").GET().build();
        HttpResponse<String> kept = http.send(named, HttpResponse.BodyHandlers.ofString());
        assertThat(kept.headers().firstValue("X-Request-Id")).hasValue("ops-tool.42");
        assertThat(SEEN).last().extracting(Seen::requestId).isEqualTo("ops-tool.42");

        HttpResponse<String> unnamed = send("GET", "/api/v1/backups", TestTokens.viewer(), null);
        String given = unnamed.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(given).matches("[0-9a-f]{16}");
        assertThat(SEEN).last().extracting(Seen::requestId).as("the service sees the id the caller got").isEqualTo(given);

        HttpRequest hostile = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/routing/policies"))
                .header("Authorization", "Bearer " + TestTokens.viewer()).header("X-Request-Id", "a b <script>").GET().build();
        HttpResponse<String> replaced = http.send(hostile, HttpResponse.BodyHandlers.ofString());
        assertThat(replaced.headers().firstValue("X-Request-Id")).hasValueSatisfying(id -> assertThat(id).matches("[0-9a-f]{16}"));
        assertThat(SEEN).last().extracting(Seen::requestId).isEqualTo(replaced.headers().firstValue("X-Request-Id").orElseThrow());

        assertThat(send("GET", "/api/v1/regions", null, null).headers().firstValue("X-Request-Id"))
                .as("a refusal at the edge names its operation too").isPresent();
    }

    @Test
    void refusesAtTheEdgeWithoutForwarding() throws Exception {
        HttpResponse<String> anonymous = send("GET", "/api/v1/regions", null, null);
        assertProblem(anonymous, 401, "unauthenticated");
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        for (String token : TestTokens.invalid()) {
            HttpResponse<String> broken = send("GET", "/api/v1/regions", token, null);
            assertProblem(broken, 401, "unauthenticated");
            assertThat(broken.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("invalid_token"));
        }
        assertProblem(send("POST", "/api/v1/regions", TestTokens.viewer(), "{}"), 403, "forbidden");
        assertProblem(send("DELETE", "/api/v1/backups/b-1", TestTokens.noRoles(), null), 403, "forbidden");
        assertThat(SEEN).as("nothing refused reached a service").isEmpty();
    }

    @Test
    void everyRouteNeedsATokenAndMutationsNeedOperator() throws Exception {
        List<Route> all = routes.getRoutes().collectList().block(Duration.ofSeconds(10));
        assertThat(all).extracting(Route::getId).contains("region-api", "routing-api", "replication-api", "failover-api", "backup-api");
        for (Route route : all) {
            if (route.getId().endsWith("-api-docs")) {
                continue;
            }
            String service = route.getId().replace("-api", "");
            String path = switch (service) {
                case "region" -> "/api/v1/regions";
                case "backup" -> "/api/v1/backups";
                default -> "/api/v1/" + service + "/anything";
            };
            for (String method : List.of("GET", "POST", "PUT", "PATCH", "DELETE")) {
                assertThat(send(method, path, null, "POST".equals(method) ? "{}" : null).statusCode()).as(method + " " + path).isEqualTo(401);
                if (!"GET".equals(method)) {
                    assertThat(send(method, path, TestTokens.viewer(), "{}").statusCode()).as("viewer " + method + " " + path).isEqualTo(403);
                }
            }
        }
        assertThat(SEEN).isEmpty();
    }

    @Test
    void aKeptAliveConnectionStaysUsableAfterRefusalsThatLeftTheBodyUnread() throws Exception {
        // the edge answers 401/403 before reading the body; Reactor Netty up to 1.3.6 could then stop reading the
        // connection, and the client's next request on it hung (seen here about once in 100 such pairs)
        HttpClient oneConnection = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (int i = 0; i < 250; i++) {
            for (String method : List.of("POST", "PATCH")) {
                HttpRequest refused = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/regions"))
                        .timeout(Duration.ofSeconds(5)).header("Authorization", "Bearer " + TestTokens.viewer())
                        .header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString("{}")).build();
                assertThat(oneConnection.send(refused, HttpResponse.BodyHandlers.ofString()).statusCode()).as(method + " #" + i).isEqualTo(403);
                HttpRequest next = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/regions"))
                        .timeout(Duration.ofSeconds(5)).GET().build();
                assertThat(oneConnection.send(next, HttpResponse.BodyHandlers.ofString()).statusCode()).as("GET after " + method + " #" + i).isEqualTo(401);
            }
        }
        assertThat(SEEN).isEmpty();
    }

    @Test
    void answersProblemsForBadRequestsAndDeadUpstreams() throws Exception {
        String big = "x".repeat(1024 * 1024 + 1);
        assertProblem(send("POST", "/api/v1/regions", TestTokens.operator(), big), 413, "payload-too-large");
        assertProblem(send("GET", "/api/v1/nothing-here", TestTokens.viewer(), null), 404, "not-found");
        assertProblem(send("GET", "/api/v1/failover/status", TestTokens.viewer(), null), 503, "unavailable");
        assertProblem(send("GET", "/somewhere/else", TestTokens.admin(), null), 403, "forbidden");
        assertThat(SEEN).isEmpty();
    }

    @Test
    void probesAndMetricsAreOpenAndKafkaShowsInHealth() throws Exception {
        assertThat(send("GET", "/actuator/health/readiness", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/actuator/health/liveness", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/actuator/prometheus", null, null).body()).contains("application=\"gateway\"");
        JsonNode health = json.readTree(send("GET", "/actuator/health", TestTokens.admin(), null).body());
        assertThat(health.get("components").get("kafka").get("status").asString()).isEqualTo("UP");
    }

    @Test
    void buffersAreNotTrackedForLeaksOnTheDataPath() {
        // application.yaml's spring.netty.leak-detection: the sampled tracking cost CPU per request (docs/benchmarks.md)
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    }

    private void assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
        JsonNode problem = json.readTree(response.body());
        assertThat(problem.path("type").asString()).as(response.body()).isEqualTo("https://meridian.dev/problems/" + type);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
