package io.meridian.gateway.edge;

import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Writes RFC 9457 problem details from filters, before any handler runs. */
@Component
public class ProblemWriter {

    private final JsonMapper json = JsonMapper.builder().build();

    /** Writes {@code problem} as the response, unless the response is already committed. */
    public Mono<Void> write(ServerWebExchange exchange, ProblemDetail problem) {
        return write(exchange.getRequest(), exchange.getResponse(), problem);
    }

    /** Writes {@code problem} as {@code response} to {@code request}, unless the response is already committed. */
    public Mono<Void> write(ServerHttpRequest request, ServerHttpResponse response, ProblemDetail problem) {
        if (response.isCommitted()) {
            return Mono.empty();
        }
        response.setStatusCode(HttpStatus.valueOf(problem.getStatus()));
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        byte[] bytes = bytes(problem, request.getPath().value());
        return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
    }

    /** {@code problem} as the JSON body of an {@code application/problem+json} answer to a request for {@code path}. */
    public byte[] bytes(ProblemDetail problem, String path) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.getType().toString());
        body.put("title", problem.getTitle());
        body.put("status", problem.getStatus());
        body.put("detail", problem.getDetail());
        body.put("instance", path);
        if (problem.getProperties() != null) {
            body.putAll(problem.getProperties());
        }
        return json.writeValueAsBytes(body);
    }
}
