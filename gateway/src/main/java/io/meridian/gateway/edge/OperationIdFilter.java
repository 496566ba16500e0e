package io.meridian.gateway.edge;

import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.meridian.common.ops.OperationIds;
import reactor.core.publisher.Mono;

/**
 * Names the operation of every control-API request at the front door: the caller's {@code X-Request-Id} when it is a
 * plain token, else a new id, forwarded to the owning service (which logs and audits under it) and answered to the
 * caller, so one id finds the request in the gateway's answer, the service's log lines and its audit record.
 */
@Component
class OperationIdFilter implements WebFilter, Ordered {

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        if (!request.getPath().value().startsWith("/api/")) {
            return chain.filter(exchange);
        }
        String given = request.getHeaders().getFirst(OperationIds.HEADER);
        String id = OperationIds.orNew(given);
        exchange.getResponse().getHeaders().set(OperationIds.HEADER, id);
        if (id.equals(given)) {
            return chain.filter(exchange);
        }
        ServerHttpRequest named = request.mutate().headers(headers -> headers.set(OperationIds.HEADER, id)).build();
        return chain.filter(exchange.mutate().request(named).build());
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 2; // after the size limit, before security: a 401 carries the id too
    }
}
