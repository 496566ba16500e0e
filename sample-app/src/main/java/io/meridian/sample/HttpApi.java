package io.meridian.sample;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The app's HTTP API on the JDK server: routing, JSON in and out, problem answers and metrics.
 *
 * <pre>
 * GET  /              which region and instance served the request, and the database role
 * GET  /health        200 UP when the database answers within a second, else 503 DOWN
 * GET  /health/live   200 while the process runs
 * GET  /metrics       Prometheus text
 * POST /items         upsert {"key","value"}: 201 created, 200 replaced, 503 on a standby
 * GET  /items         up to ?limit= items (1-1000, default 100)
 * GET  /items/{key}   one item or 404
 * </pre>
 */
final class HttpApi implements HttpHandler {

    /** Header naming the region that answered, on every response. */
    static final String SERVED_BY = "X-Meridian-Served-By";
    /** Largest request body accepted. */
    static final int MAX_BODY = 64 * 1024;
    /** Largest item value, in UTF-8 bytes. */
    static final int MAX_VALUE_BYTES = 4 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    private final SampleConfig config;
    private final RegionalDatabase database;
    private final RequestMetrics metrics;
    private final JsonMapper json = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    HttpApi(SampleConfig config, RegionalDatabase database, RequestMetrics metrics) {
        this.config = config;
        this.database = database;
        this.metrics = metrics;
    }

    private record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
        Response(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }
    }

    @Override
    public void handle(HttpExchange exchange) {
        long started = System.nanoTime();
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        String path = exchange.getRequestURI().getPath();
        String route = route(path);
        Response response;
        String problemSlug = null;
        try {
            response = dispatch(exchange, method, path, route);
        } catch (ApiProblem problem) {
            problemSlug = problem.slug();
            response = problem(problem, path);
            if (problem.status() >= 500 && problem.getCause() != null) {
                LOG.warn("{} {} answered {}: {}", method, path, problem.status(), problem.getCause().toString());
            }
        } catch (RuntimeException | IOException | Error e) {
            String errorId = UUID.randomUUID().toString();
            LOG.error("{} {} failed; error id {}", method, path, errorId, e);
            ApiProblem problem = ApiProblem.internal(errorId, e);
            problemSlug = problem.slug();
            response = problem(problem, path);
        }
        try {
            send(exchange, method, response);
        } catch (IOException e) {
            LOG.debug("could not answer {} {}: {}", method, path, e.toString());
        } finally {
            exchange.close();
            metrics.record(method, route, response.status(), problemSlug, Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** The route template of {@code path}, a low-cardinality metric tag. */
    static String route(String path) {
        return switch (path) {
            case "/", "/health", "/health/live", "/metrics", "/items" -> path;
            default -> path.startsWith("/items/") && path.indexOf('/', "/items/".length()) < 0 ? "/items/{key}" : "unmatched";
        };
    }

    private Response dispatch(HttpExchange exchange, String method, String path, String route) throws IOException {
        return switch (route) {
            case "/" -> get(method, path, this::root);
            case "/health" -> get(method, path, this::health);
            case "/health/live" -> get(method, path, () -> ok(Map.of("status", "UP")));
            case "/metrics" -> get(method, path, () -> metrics(exchange));
            case "/items" -> switch (method) {
                case "GET", "HEAD" -> listItems(exchange);
                case "POST" -> putItem(exchange);
                default -> throw ApiProblem.methodNotAllowed(method, path, "GET, HEAD, POST");
            };
            case "/items/{key}" -> get(method, path, () -> getItem(path.substring("/items/".length())));
            default -> throw ApiProblem.notFound("no resource at " + path);
        };
    }

    private interface Handler {
        Response handle() throws IOException;
    }

    private static Response get(String method, String path, Handler handler) throws IOException {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw ApiProblem.methodNotAllowed(method, path, "GET, HEAD");
        }
        return handler.handle();
    }

    private Response root() {
        RegionalDatabase.Role role = database.probe(PROBE_TIMEOUT);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("region", config.region());
        body.put("instance", config.instance());
        body.put("servedAt", Instant.now().toString());
        body.put("database", Map.of("role", role.json()));
        return ok(body);
    }

    private Response health() {
        RegionalDatabase.Role role = database.probe(PROBE_TIMEOUT);
        boolean up = role != RegionalDatabase.Role.UNAVAILABLE;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("database", up ? "UP" : "DOWN");
        body.put("role", role.json());
        body.put("region", config.region());
        return new Response(up ? 200 : 503, JSON, write(body));
    }

    private Response metrics(HttpExchange exchange) {
        String accept = exchange.getRequestHeaders().getFirst("Accept");
        String type = accept != null && accept.contains("application/openmetrics-text")
                ? RequestMetrics.OPENMETRICS_TEXT : RequestMetrics.PROMETHEUS_TEXT;
        return new Response(200, type, metrics.scrape(type).getBytes(StandardCharsets.UTF_8));
    }

    private Response getItem(String key) {
        checkKey(key);
        Item item = database.find(key).orElseThrow(() -> ApiProblem.notFound("no item with key '" + key + "'"));
        return ok(itemJson(item));
    }

    private Response listItems(HttpExchange exchange) {
        int limit = 100;
        String raw = query(exchange.getRequestURI().getRawQuery()).get("limit");
        if (raw != null) {
            try {
                limit = Integer.parseInt(raw);
            } catch (NumberFormatException e) {
                throw ApiProblem.invalidField("limit", "must be a whole number from 1 to 1000");
            }
            if (limit < 1 || limit > 1000) {
                throw ApiProblem.invalidField("limit", "must be a whole number from 1 to 1000");
            }
        }
        List<Map<String, Object>> items = database.list(limit).stream().map(HttpApi::itemJson).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("region", config.region());
        body.put("count", items.size());
        body.put("items", items);
        return ok(body);
    }

    private Response putItem(HttpExchange exchange) throws IOException {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType != null) {
            String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (!media.equals(JSON) && !media.endsWith("+json")) {
                throw ApiProblem.unsupportedMediaType(media);
            }
        }
        JsonNode body = readJson(exchange);
        if (!body.isObject()) {
            throw ApiProblem.malformed("the body must be a JSON object with the fields key and value");
        }
        for (String field : body.propertyNames()) {
            if (!field.equals("key") && !field.equals("value")) {
                throw ApiProblem.invalidField(field, "is not a known field; known fields: key, value");
            }
        }
        String key = text(body, "key");
        checkKey(key);
        String value = text(body, "value");
        if (value.getBytes(StandardCharsets.UTF_8).length > MAX_VALUE_BYTES) {
            throw ApiProblem.invalidField("value", "must be at most " + MAX_VALUE_BYTES + " bytes of UTF-8");
        }
        RegionalDatabase.Upserted upserted = database.upsert(key, value);
        int status = upserted.created() ? 201 : 200;
        return new Response(status, JSON, write(itemJson(upserted.item())),
                Map.of("Location", "/items/" + key));
    }

    private JsonNode readJson(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > MAX_BODY) {
                    throw ApiProblem.payloadTooLarge(MAX_BODY);
                }
            } catch (NumberFormatException e) {
                throw ApiProblem.malformed("Content-Length is not a number");
            }
        }
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) {
            throw ApiProblem.payloadTooLarge(MAX_BODY);
        }
        if (bytes.length == 0) {
            throw ApiProblem.malformed("the body is empty; send a JSON object with the fields key and value");
        }
        try {
            return json.readTree(bytes);
        } catch (JacksonException e) {
            var location = e.getLocation();
            String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
            String field = e.getPath().isEmpty() ? null : e.getPath().getLast().getPropertyName();
            throw ApiProblem.malformed("malformed JSON" + where + (field == null ? "" : " in field '" + field + "'")
                    + ": " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode node = body.get(field);
        if (node == null || node.isNull()) {
            throw ApiProblem.invalidField(field, "must be present");
        }
        if (!node.isString()) {
            throw ApiProblem.invalidField(field, "must be a string, not " + node.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        return node.asString();
    }

    private static void checkKey(String key) {
        if (!KEY.matcher(key).matches()) {
            throw ApiProblem.invalidField("key", "must be 1-128 characters of letters, digits and . _ : -");
        }
    }

    private static Map<String, Object> itemJson(Item item) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("key", item.key());
        body.put("value", item.value());
        body.put("region", item.region());
        body.put("updatedAt", item.updatedAt().toString());
        return body;
    }

    private static Map<String, String> query(@Nullable String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.putIfAbsent(name, value);
        }
        return params;
    }

    private Response ok(Object body) {
        return new Response(200, JSON, write(body));
    }

    private Response problem(ApiProblem problem, String path) {
        Map<String, String> headers = problem.status() == 405
                ? Map.of("Allow", String.valueOf(problem.body(path).get("allow"))) : Map.of();
        return new Response(problem.status(), PROBLEM_JSON, write(problem.body(path)), headers);
    }

    private byte[] write(Object body) {
        return json.writeValueAsBytes(body);
    }

    private void send(HttpExchange exchange, String method, Response response) throws IOException {
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", response.contentType());
        headers.set(SERVED_BY, config.region());
        headers.set("Cache-Control", "no-store");
        response.headers().forEach(headers::set);
        boolean head = method.equals("HEAD");
        exchange.sendResponseHeaders(response.status(), head ? -1 : response.body().length == 0 ? -1 : response.body().length);
        if (!head && response.body().length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response.body());
            }
        }
    }
}
