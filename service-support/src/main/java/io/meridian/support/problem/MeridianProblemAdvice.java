package io.meridian.support.problem;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.ConstraintViolationException;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.problem.ProblemTypes;
import io.meridian.common.problem.Problems;
import tools.jackson.databind.DatabindException;

/**
 * Turns every failure a servlet service can meet into an RFC 9457 problem detail with a stable type:
 * the typed {@link MeridianException}s, bean validation and model validation (naming each field),
 * unreadable bodies (naming the field where Jackson knows it), Spring MVC's own errors (404, 405,
 * 415, ...) and, last, anything unexpected as a 500 carrying an error id but never a stack trace.
 */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE + 100)
public class MeridianProblemAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(MeridianProblemAdvice.class);

    private static final Map<Integer, URI> TYPES_BY_STATUS = Map.of(
            400, ProblemTypes.MALFORMED_REQUEST,
            404, ProblemTypes.NOT_FOUND,
            405, ProblemTypes.METHOD_NOT_ALLOWED,
            406, ProblemTypes.UNSUPPORTED_MEDIA_TYPE,
            413, ProblemTypes.PAYLOAD_TOO_LARGE,
            415, ProblemTypes.UNSUPPORTED_MEDIA_TYPE,
            503, ProblemTypes.UNAVAILABLE);

    @ExceptionHandler(MeridianException.class)
    ResponseEntity<ProblemDetail> meridian(MeridianException failure, HttpServletRequest request) {
        if (failure.status() >= 500) {
            log.warn("{} {} failed: {}", request.getMethod(), request.getRequestURI(), failure.getMessage(), failure);
        }
        return respond(failure.toProblemDetail(), request);
    }

    @ExceptionHandler(ConstraintViolationException.class)
    ResponseEntity<ProblemDetail> constraintViolation(ConstraintViolationException failure, HttpServletRequest request) {
        List<Problems.FieldError> errors = failure.getConstraintViolations().stream()
                .map(v -> new Problems.FieldError(leaf(v.getPropertyPath().toString()), v.getMessage()))
                .sorted(java.util.Comparator.comparing(Problems.FieldError::field))
                .toList();
        return respond(Problems.validation(errors), request);
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException failure, HttpServletRequest request) {
        InvalidFieldException invalid = find(failure, InvalidFieldException.class);
        String reason = invalid != null ? invalid.reason() : "cannot be read as " + failure.getRequiredType().getSimpleName();
        return respond(Problems.validation(List.of(new Problems.FieldError(failure.getName(), reason))), request);
    }

    @ExceptionHandler(AccessDeniedException.class)
    ResponseEntity<ProblemDetail> accessDenied(AccessDeniedException failure, HttpServletRequest request) {
        return respond(Problems.forbidden(request.getMethod() + " " + request.getRequestURI() + " is not allowed for your roles"), request);
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception failure, HttpServletRequest request) {
        String errorId = UUID.randomUUID().toString();
        log.error("Unexpected failure {} on {} {}", errorId, request.getMethod(), request.getRequestURI(), failure);
        return respond(Problems.internal(errorId), request);
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException failure, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        List<Problems.FieldError> errors = new ArrayList<>();
        for (FieldError error : failure.getBindingResult().getFieldErrors()) {
            errors.add(new Problems.FieldError(error.getField(), String.valueOf(error.getDefaultMessage())));
        }
        failure.getBindingResult().getGlobalErrors()
                .forEach(error -> errors.add(new Problems.FieldError(error.getObjectName(), String.valueOf(error.getDefaultMessage()))));
        errors.sort(java.util.Comparator.comparing(Problems.FieldError::field));
        return asObject(respond(Problems.validation(errors), servlet(request)));
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException failure,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<Problems.FieldError> errors = new ArrayList<>();
        failure.getParameterValidationResults().forEach(result -> {
            String name = result.getMethodParameter().getParameterName();
            result.getResolvableErrors().forEach(error -> errors.add(new Problems.FieldError(
                    name == null ? "parameter" : name, String.valueOf(error.getDefaultMessage()))));
        });
        if (errors.isEmpty()) {
            errors.add(new Problems.FieldError("request", failure.getReason() == null ? "is invalid" : failure.getReason()));
        }
        return asObject(respond(Problems.validation(errors), servlet(request)));
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException failure, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        InvalidFieldException invalid = find(failure, InvalidFieldException.class);
        DatabindException databind = find(failure, DatabindException.class);
        String path = databind == null ? "" : jsonPath(databind);
        if (invalid != null) {
            String field = path.isEmpty() ? invalid.field() : path.endsWith(invalid.field()) ? path : path + "." + invalid.field();
            return asObject(respond(Problems.validation(List.of(new Problems.FieldError(field, invalid.reason()))), servlet(request)));
        }
        if (databind != null && !path.isEmpty()) {
            return asObject(respond(Problems.validation(List.of(new Problems.FieldError(path, readableReason(databind)))), servlet(request)));
        }
        ProblemDetail problem = Problems.of(HttpStatus.BAD_REQUEST, ProblemTypes.MALFORMED_REQUEST, "Malformed request",
                "The request body is missing or is not valid JSON");
        return asObject(respond(problem, servlet(request)));
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception failure, @Nullable Object body, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        ResponseEntity<Object> response = super.handleExceptionInternal(failure, body, headers, status, request);
        if (response != null && response.getBody() instanceof ProblemDetail problem) {
            if (problem.getType() == null || "about:blank".equals(problem.getType().toString())) {
                problem.setType(TYPES_BY_STATUS.getOrDefault(status.value(), ProblemTypes.of("http-" + status.value())));
            }
            if (problem.getInstance() == null && request instanceof ServletWebRequest servlet) {
                problem.setInstance(URI.create(servlet.getRequest().getRequestURI()));
            }
            return ResponseEntity.status(status).headers(response.getHeaders()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
        }
        return response;
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem, HttpServletRequest request) {
        if (problem.getInstance() == null) {
            problem.setInstance(URI.create(request.getRequestURI()));
        }
        return ResponseEntity.status(problem.getStatus()).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static ResponseEntity<Object> asObject(ResponseEntity<ProblemDetail> response) {
        return (ResponseEntity) response;
    }

    private static HttpServletRequest servlet(WebRequest request) {
        return ((ServletWebRequest) request).getRequest();
    }

    private static String jsonPath(DatabindException failure) {
        StringBuilder path = new StringBuilder();
        for (var reference : failure.getPath()) {
            if (reference.getPropertyName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String readableReason(DatabindException failure) {
        String message = failure.getOriginalMessage();
        if (message == null) {
            return "has the wrong type or format";
        }
        int newline = message.indexOf('\n');
        String first = newline < 0 ? message : message.substring(0, newline);
        // Jackson names Java types in its messages; keep the gist, not internal class names.
        return first.replaceAll("`[a-z]+(\\.[a-zA-Z$_0-9]+)+`", "value").replaceAll("\\(class [^)]*\\)", "").trim();
    }

    private static String leaf(String propertyPath) {
        int dot = propertyPath.indexOf('.');
        return dot < 0 ? propertyPath : propertyPath.substring(dot + 1);
    }

    private static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
            if (current.getCause() == current) {
                break;
            }
        }
        return null;
    }
}
