package io.meridian.support.security;

import java.io.IOException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.web.access.AccessDeniedHandler;

import io.meridian.common.problem.Problems;
import io.meridian.support.web.ProblemResponses;

/** Answers 403 with a problem detail when an authenticated caller lacks the role. */
final class ProblemAccessDeniedHandler implements AccessDeniedHandler {

    @Override
    public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException denied) throws IOException {
        String detail = switch (request.getMethod()) {
            case "GET", "HEAD" -> "Reading " + request.getRequestURI() + " needs role viewer or higher";
            default -> request.getMethod() + " " + request.getRequestURI() + " needs role operator or higher";
        };
        ProblemResponses.write(request, response, Problems.forbidden(detail));
    }
}
