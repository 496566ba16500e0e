package io.meridian.support.security;

import java.io.IOException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.web.AuthenticationEntryPoint;

import io.meridian.common.problem.Problems;
import io.meridian.support.web.ProblemResponses;

/**
 * Answers 401 with a problem detail and the RFC 6750 {@code WWW-Authenticate} header, whether the token
 * is missing, expired, forged or from another issuer. The detail says which, never the token.
 */
final class ProblemAuthenticationEntryPoint implements AuthenticationEntryPoint {

    private final BearerTokenAuthenticationEntryPoint bearer = new BearerTokenAuthenticationEntryPoint();

    @Override
    public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException failure) throws IOException {
        bearer.commence(request, response, failure);
        String detail = failure instanceof InvalidBearerTokenException
                ? "The bearer token is not valid: " + failure.getMessage()
                : "This endpoint needs a bearer token (Authorization: Bearer <token>)";
        ProblemResponses.write(request, response, Problems.unauthenticated(detail));
    }
}
