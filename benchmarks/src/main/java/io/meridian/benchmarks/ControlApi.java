package io.meridian.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

/** One control-API call with a bearer token and a reason, as the benchmark drivers make them. */
public final class ControlApi {

    private ControlApi() {
    }

    /** Sends {@code method path} (with a JSON {@code body} when given) and returns the answer, whatever its status. */
    public static HttpResponse<String> send(HttpClient http, URI base, String method, String path, String token, String reason,
            @Nullable String body, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Authorization", "Bearer " + token).header("X-Meridian-Reason", reason);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        request.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
