package io.meridian.gateway.traffic;

import java.time.Duration;
import java.util.Map;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/** A plain HTTP client for tests that may set any Host header (the JDK client refuses to). */
final class Http {

    record Reply(int status, HttpHeaders headers, String body) {
        String header(String name) {
            return headers.get(name);
        }
    }

    private final int port;
    private final HttpClient client = HttpClient.create(ConnectionProvider.newConnection()).responseTimeout(Duration.ofSeconds(20));

    Http(int port) {
        this.port = port;
    }

    Reply get(String host, String path, Map<String, String> headers) {
        return send("GET", host, path, headers, null);
    }

    Reply send(String method, String host, String path, Map<String, String> headers, String body) {
        return client.headers(h -> {
                    h.set("Host", host);
                    headers.forEach(h::set);
                })
                .request(HttpMethod.valueOf(method))
                .uri("http://127.0.0.1:" + port + path)
                .send(body == null ? Mono.empty() : ByteBufFlux.fromString(Mono.just(body)))
                .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
                        .map(text -> new Reply(response.status().code(), response.responseHeaders(), text)))
                .block(Duration.ofSeconds(30));
    }
}
