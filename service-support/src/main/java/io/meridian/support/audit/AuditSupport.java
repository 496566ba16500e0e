package io.meridian.support.audit;

import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.web.servlet.HandlerInterceptor;

/** Registers the audit endpoint and exposes the interceptor to the auto-configuration. */
@Configuration(proxyBeanMethods = false)
@Import(AuditController.class)
public class AuditSupport {

    /** The interceptor that records control actions a handler did not record itself. */
    public static HandlerInterceptor interceptor(AuditLog audit) {
        return new AuditInterceptor(audit);
    }
}
