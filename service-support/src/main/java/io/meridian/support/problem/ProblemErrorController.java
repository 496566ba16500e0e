package io.meridian.support.problem;

import java.net.URI;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;

/**
 * Renders the container's error dispatches (errors raised outside Spring MVC's handlers, such as a
 * rejected request in a filter) as problem details, replacing Boot's default error body.
 */
@RestController
public class ProblemErrorController implements ErrorController {

    @RequestMapping(value = "/error", produces = {MediaType.APPLICATION_PROBLEM_JSON_VALUE, MediaType.APPLICATION_JSON_VALUE, "*/*"})
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer value && HttpStatus.resolve(value) != null ? HttpStatus.valueOf(value)
                : HttpStatus.INTERNAL_SERVER_ERROR;
        Object uri = request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI);
        URI type = switch (status) {
            case NOT_FOUND -> ProblemTypes.NOT_FOUND;
            case METHOD_NOT_ALLOWED -> ProblemTypes.METHOD_NOT_ALLOWED;
            case PAYLOAD_TOO_LARGE -> ProblemTypes.PAYLOAD_TOO_LARGE;
            case UNAUTHORIZED -> ProblemTypes.UNAUTHENTICATED;
            case FORBIDDEN -> ProblemTypes.FORBIDDEN;
            case SERVICE_UNAVAILABLE -> ProblemTypes.UNAVAILABLE;
            default -> status.is4xxClientError() ? ProblemTypes.MALFORMED_REQUEST : ProblemTypes.INTERNAL;
        };
        ProblemDetail problem = Problems.of(status, type, status.getReasonPhrase(), status.is5xxServerError()
                ? "The request could not be completed" : "The request was rejected: " + status.getReasonPhrase());
        if (uri != null) {
            problem.setInstance(URI.create(uri.toString()));
        }
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }
}
