package io.meridian.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small real-HTTP client for service tests: bearer token, JSON body, reason header, extra headers. */
public final class ApiClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    public ApiClient(int port) {
        this(URI.create("http://127.0.0.1:" + port));
    }

    public ApiClient(URI base) {
        this.base = base;
    }

    /** A response with its body parsed when it is JSON. */
    public record Response(int status, Map<String, String> headers, String body) {

        /** The body as JSON. */
        public JsonNode json() {
            return JSON.readTree(body);
        }

        /** A header, case-insensitively, or null. */
        public @Nullable String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue).findFirst()
                    .orElse(null);
        }
    }

    public Response get(String path, @Nullable String token) {
        return send("GET", path, token, null, Map.of());
    }

    public Response send(String method, String path, @Nullable String token, @Nullable String body) {
        return send(method, path, token, body, Map.of());
    }

    /** Sends a request; the reason header is set unless {@code headers} sets it. */
    public Response send(String method, String path, @Nullable String token, @Nullable String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
        Map<String, String> all = new LinkedHashMap<>();
        all.put("X-Meridian-Reason", "test");
        all.putAll(headers);
        if (token != null) {
            all.put("Authorization", "Bearer " + token);
        }
        if (body != null) {
            all.putIfAbsent("Content-Type", "application/json");
        }
        all.forEach(request::header);
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> responseHeaders = new LinkedHashMap<>();
            response.headers().map().forEach((name, values) -> responseHeaders.put(name, String.join(",", values)));
            return new Response(response.statusCode(), responseHeaders, response.body());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** JSON text for {@code value}. */
    public static String json(Object value) {
        return JSON.writeValueAsString(value);
    }
}
