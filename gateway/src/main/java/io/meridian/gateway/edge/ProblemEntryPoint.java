package io.meridian.gateway.edge;

import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.http.HttpHeaders;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.web.server.ServerWebExchange;

import io.meridian.common.problem.Problems;
import reactor.core.publisher.Mono;

/** 401 with {@code WWW-Authenticate: Bearer ...} and a problem detail. */
final class ProblemEntryPoint implements ServerAuthenticationEntryPoint {

    private final ProblemWriter problems;

    ProblemEntryPoint(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    public Mono<Void> commence(ServerWebExchange exchange, AuthenticationException failure) {
        String detail = failure instanceof InvalidBearerTokenException
                ? "The bearer token is not valid: " + failure.getMessage()
                : "This endpoint needs a bearer token (Authorization: Bearer <token>)";
        // RFC 6750 section 3: name the error when a token was presented, only the scheme otherwise.
        String challenge = failure instanceof OAuth2AuthenticationException oauth
                ? "Bearer error=\"" + oauth.getError().getErrorCode() + "\", error_description=\"" + sanitize(detail) + "\""
                : "Bearer";
        exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, challenge);
        return problems.write(exchange, Problems.unauthenticated(detail));
    }

    private static String sanitize(String text) {
        return text.replaceAll("[^\\x20-\\x7E]", " ").replace("\\", "").replace("\"", "'");
    }
}
