package io.meridian.gateway.edge;

import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import reactor.core.publisher.Mono;

/**
 * Answers every error that reaches the edge (no route, upstream down, bad request line, anything
 * unexpected) with a problem detail instead of Spring's default error body; never a stack trace.
 * Runs before Boot's own error handler.
 */
@Component
@Order(-2)
class EdgeErrors implements WebExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(EdgeErrors.class);

    private final ProblemWriter problems;

    EdgeErrors(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (failure instanceof ResponseStatusException status) {
            HttpStatus code = HttpStatus.valueOf(status.getStatusCode().value());
            var type = switch (code) {
                case NOT_FOUND -> ProblemTypes.NOT_FOUND;
                case METHOD_NOT_ALLOWED -> ProblemTypes.METHOD_NOT_ALLOWED;
                case PAYLOAD_TOO_LARGE -> ProblemTypes.PAYLOAD_TOO_LARGE;
                case UNSUPPORTED_MEDIA_TYPE -> ProblemTypes.UNSUPPORTED_MEDIA_TYPE;
                case SERVICE_UNAVAILABLE, BAD_GATEWAY, GATEWAY_TIMEOUT -> ProblemTypes.UNAVAILABLE;
                default -> code.is4xxClientError() ? ProblemTypes.MALFORMED_REQUEST : ProblemTypes.INTERNAL;
            };
            String detail = code == HttpStatus.NOT_FOUND
                    ? "Nothing is routed at " + exchange.getRequest().getPath().value()
                    : status.getReason() == null ? code.getReasonPhrase() : status.getReason();
            return problems.write(exchange, Problems.of(code, type, code.getReasonPhrase(), detail));
        }
        if (isConnectFailure(failure)) {
            return problems.write(exchange, Problems.of(HttpStatus.SERVICE_UNAVAILABLE, ProblemTypes.UNAVAILABLE, "Upstream unavailable",
                    "The service behind " + exchange.getRequest().getPath().value() + " cannot be reached; retry later"));
        }
        String errorId = UUID.randomUUID().toString();
        log.error("Unexpected failure {} on {} {}", errorId, exchange.getRequest().getMethod(), exchange.getRequest().getPath(), failure);
        return problems.write(exchange, Problems.internal(errorId));
    }

    private static boolean isConnectFailure(Throwable failure) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (current instanceof java.net.ConnectException || current.getClass().getSimpleName().contains("ConnectException")) {
                return true;
            }
        }
        return false;
    }
}
