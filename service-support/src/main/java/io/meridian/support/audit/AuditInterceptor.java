package io.meridian.support.audit;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Makes sure every control action that reached a handler leaves a record: when a mutating request
 * under {@code /api/} completes without the handler having recorded it (typically because it was
 * rejected with a 4xx or failed with a 5xx), this records it with its method, path and status.
 */
class AuditInterceptor implements HandlerInterceptor {

    private static final Logger log = LoggerFactory.getLogger(AuditInterceptor.class);

    private final AuditLog audit;

    AuditInterceptor(AuditLog audit) {
        this.audit = audit;
    }

    @Override
    public void afterCompletion(HttpServletRequest request, HttpServletResponse response, Object handler, @Nullable Exception failure) {
        if (!isMutating(request.getMethod()) || request.getAttribute(AuditLog.RECORDED) != null) {
            return;
        }
        int status = response.getStatus();
        AuditRecord.Outcome outcome = status >= 500 || failure != null ? AuditRecord.Outcome.FAILED
                : status >= 400 ? AuditRecord.Outcome.REJECTED : AuditRecord.Outcome.SUCCEEDED;
        try {
            audit.record(request.getMethod() + " " + request.getRequestURI(), request.getRequestURI(), AuditLog.currentReason(), outcome,
                    "HTTP " + status, null, null);
        } catch (RuntimeException e) {
            // The response is already committed; a broken audit store shows in readiness (db) and here.
            log.error("Could not record {} {} ({}) in the audit log", request.getMethod(), request.getRequestURI(), status, e);
        }
    }

    static boolean isMutating(String method) {
        return switch (method) {
            case "GET", "HEAD", "OPTIONS", "TRACE" -> false;
            default -> true;
        };
    }
}
