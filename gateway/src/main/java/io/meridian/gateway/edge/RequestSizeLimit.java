package io.meridian.gateway.edge;

import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import io.meridian.gateway.config.GatewayProperties;
import reactor.core.publisher.Mono;

/**
 * Refuses control-API requests whose declared body is larger than {@code meridian.gateway.max-request-size}
 * with 413 before anything is read or forwarded. (Bodies without a Content-Length are bounded by the
 * services' own limits; the live-traffic issue adds streaming limits.)
 */
@Component
class RequestSizeLimit implements WebFilter, Ordered {

    private final GatewayProperties properties;
    private final ProblemWriter problems;

    RequestSizeLimit(GatewayProperties properties, ProblemWriter problems) {
        this.properties = properties;
        this.problems = problems;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long declared = exchange.getRequest().getHeaders().getContentLength();
        long max = properties.maxRequestSize().toBytes();
        if (declared > max) {
            return problems.write(exchange, Problems.of(HttpStatus.PAYLOAD_TOO_LARGE, ProblemTypes.PAYLOAD_TOO_LARGE, "Payload too large",
                    "The request body is " + declared + " bytes; at most " + max + " are accepted"));
        }
        return chain.filter(exchange);
    }

    @Override
    public int getOrder() {
        return Ordered.HIGHEST_PRECEDENCE + 1; // after live traffic, which has its own body limit
    }
}
