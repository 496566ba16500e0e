package io.meridian.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.springframework.context.ApplicationContext;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.RequestMappingInfoHandlerMapping;

import io.meridian.common.security.Roles;

/**
 * Walks every request mapping of a running servlet service, over real HTTP, and checks that each
 * one demands the right role: without a token every API answers 401; a mutating method answers 403
 * to a {@code viewer}; a method guarded by {@code @PreAuthorize("hasRole('admin')")} answers 403 to
 * an {@code operator}; and the role that is enough gets past security (anything but 401/403). Open
 * paths (health, scraping, API docs) must be read-only.
 */
public final class OpenEndpointWalk {

    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH", "DELETE");
    private static final Pattern VARIABLE = Pattern.compile("\\{([^}/]+)}");
    private static final List<String> OPEN_PREFIXES = List.of("/actuator/health", "/actuator/info", "/actuator/prometheus",
            "/v3/api-docs", "/swagger-ui", "/error");

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;
    private final Map<String, String> sampleValues;

    /**
     * @param base         the service's base URL ({@code http://127.0.0.1:port})
     * @param sampleValues values for path variables by name; unnamed ones get {@code eu-west-1}
     */
    public OpenEndpointWalk(URI base, Map<String, String> sampleValues) {
        this.base = base;
        this.sampleValues = sampleValues;
    }

    /** One endpoint the walk checked and the role it found it needs. */
    public record Endpoint(String method, String path, String requiredRole) {
    }

    /** Walks every mapping in {@code context}; returns what it checked (never empty for a service with an API). */
    public List<Endpoint> walk(ApplicationContext context) {
        List<Endpoint> checked = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (RequestMappingInfoHandlerMapping mapping : context.getBeansOfType(RequestMappingInfoHandlerMapping.class).values()) {
            for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
                for (String pattern : entry.getKey().getPatternValues()) {
                    for (String method : methods(entry.getKey())) {
                        Endpoint endpoint = new Endpoint(method, concrete(pattern), requiredRole(method, entry.getValue()));
                        check(endpoint, pattern, failures);
                        checked.add(endpoint);
                    }
                }
            }
        }
        assertThat(failures).as("endpoints reachable without the right role").isEmpty();
        return checked;
    }

    private void check(Endpoint endpoint, String pattern, List<String> failures) {
        boolean open = OPEN_PREFIXES.stream().anyMatch(pattern::startsWith) || pattern.startsWith("/actuator") && !pattern.startsWith("/actuator/");
        if (open) {
            if (MUTATING.contains(endpoint.method())) {
                int status = send(endpoint, null);
                if (status != 401 && status != 403 && status != 405) {
                    failures.add(endpoint + " is an open path that accepts " + endpoint.method() + " without a token (" + status + ")");
                }
            }
            return;
        }
        int anonymous = send(endpoint, null);
        if (anonymous != 401) {
            failures.add(endpoint + " answered " + anonymous + " without a token (expected 401)");
        }
        List<String> ladder = List.of(Roles.VIEWER, Roles.OPERATOR, Roles.ADMIN);
        int required = ladder.indexOf(endpoint.requiredRole());
        for (int i = 0; i < ladder.size(); i++) {
            int status = send(endpoint, TestTokens.forRole(ladder.get(i)));
            if (i < required && status != 403) {
                failures.add(endpoint + " answered " + status + " to role " + ladder.get(i) + " (expected 403)");
            }
            if (i >= required && (status == 401 || status == 403)) {
                failures.add(endpoint + " refused role " + ladder.get(i) + " with " + status + " though it is enough");
            }
        }
        int noRoles = send(endpoint, TestTokens.noRoles());
        if (noRoles != 403) {
            failures.add(endpoint + " answered " + noRoles + " to a token without roles (expected 403)");
        }
    }

    private int send(Endpoint endpoint, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(endpoint.path())).timeout(Duration.ofSeconds(20))
                .header("Accept", "application/json")
                .header("X-Meridian-Reason", "open-endpoint walk");
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpRequest.BodyPublisher body = MUTATING.contains(endpoint.method())
                ? HttpRequest.BodyPublishers.ofString("{}") : HttpRequest.BodyPublishers.noBody();
        if (MUTATING.contains(endpoint.method())) {
            request.header("Content-Type", "application/json");
        }
        try {
            return http.send(request.method(endpoint.method(), body).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new IllegalStateException(endpoint + " could not be called", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> methods(RequestMappingInfo info) {
        Set<RequestMethod> declared = info.getMethodsCondition().getMethods();
        Set<String> methods = new LinkedHashSet<>();
        if (declared.isEmpty()) {
            // A mapping without methods answers them all; check the reads and every mutation.
            methods.addAll(List.of("GET", "POST", "PUT", "PATCH", "DELETE"));
        } else {
            declared.forEach(method -> methods.add(method.name()));
        }
        methods.remove("OPTIONS");
        methods.remove("TRACE");
        return methods;
    }

    private static String requiredRole(String method, HandlerMethod handler) {
        PreAuthorize guard = handler.getMethodAnnotation(PreAuthorize.class);
        if (guard == null) {
            guard = handler.getBeanType().getAnnotation(PreAuthorize.class);
        }
        if (guard != null && guard.value().contains("'" + Roles.ADMIN + "'")) {
            return Roles.ADMIN;
        }
        return MUTATING.contains(method) ? Roles.OPERATOR : Roles.VIEWER;
    }

    private String concrete(String pattern) {
        Matcher matcher = VARIABLE.matcher(pattern.replace("/**", "/sample").replace("/*", "/sample"));
        StringBuilder path = new StringBuilder();
        while (matcher.find()) {
            String variable = matcher.group(1);
            int colon = variable.indexOf(':');
            String name = colon < 0 ? variable : variable.substring(0, colon);
            String value = sampleValues.get(name);
            if (value == null && colon >= 0 && variable.substring(colon + 1).matches("[a-z0-9-]+(\\|[a-z0-9-]+)*")) {
                value = variable.substring(colon + 1).split("\\|")[0]; // {action:drain|fail} -> drain
            }
            matcher.appendReplacement(path, Matcher.quoteReplacement(value == null ? "eu-west-1" : value));
        }
        matcher.appendTail(path);
        return path.toString();
    }
}
