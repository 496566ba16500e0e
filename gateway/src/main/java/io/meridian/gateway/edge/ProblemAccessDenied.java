package io.meridian.gateway.edge;

import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.web.server.authorization.ServerAccessDeniedHandler;
import org.springframework.web.server.ServerWebExchange;

import io.meridian.common.problem.Problems;
import reactor.core.publisher.Mono;

/** 403 with a problem detail. */
final class ProblemAccessDenied implements ServerAccessDeniedHandler {

    private final ProblemWriter problems;

    ProblemAccessDenied(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, AccessDeniedException denied) {
        String method = exchange.getRequest().getMethod().name();
        String path = exchange.getRequest().getPath().value();
        String detail = path.startsWith("/api/")
                ? method + " " + path + " needs role " + ("GET".equals(method) || "HEAD".equals(method) ? "viewer" : "operator") + " or higher"
                : method + " " + path + " is not served by this gateway";
        return problems.write(exchange, Problems.forbidden(detail));
    }
}
