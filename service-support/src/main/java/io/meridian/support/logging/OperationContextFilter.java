package io.meridian.support.logging;

import java.io.IOException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;
import org.springframework.web.filter.OncePerRequestFilter;

import io.meridian.common.ops.OperationIds;
import io.meridian.common.region.RegionId;

/**
 * Gives every request an operation id and, where the request is about one region, that region, in the logging
 * context (MDC keys {@value #OPERATION} and {@value #REGION}), so every log line written while serving it carries
 * them (the ECS file log writes MDC entries as fields) and the audit record of the action names the same operation.
 *
 * <p>The operation id is the caller's {@value #HEADER} when it is a plain token (so the gateway's id, or an
 * operator tool's, follows the request through every service), else a new random one; it is sent back in the same
 * header. The region is the first path segment that is a region id ({@code /api/v1/regions/eu-west-1/drain}), else
 * a {@code region} query parameter that is one. Long-running work (deployments, failovers, backups) sets its own
 * operation id on its worker threads.
 */
public class OperationContextFilter extends OncePerRequestFilter {

    /** The request and response header carrying the operation id. */
    public static final String HEADER = OperationIds.HEADER;
    /** MDC key of the operation id. */
    public static final String OPERATION = "operation";
    /** MDC key of the region. */
    public static final String REGION = "region";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String operation = operationId(request.getHeader(HEADER));
        String region = regionOf(request.getRequestURI(), request.getParameter(REGION));
        response.setHeader(HEADER, operation);
        MDC.put(OPERATION, operation);
        if (region != null) {
            MDC.put(REGION, region);
        }
        try {
            chain.doFilter(request, response);
        } finally {
            MDC.remove(OPERATION);
            MDC.remove(REGION);
        }
    }

    /** The caller's id when it is a plain token of at most 64 characters, else a new one. */
    static String operationId(@Nullable String given) {
        return OperationIds.orNew(given);
    }

    /** The region a request is about: the first path segment that is a region id, else a valid {@code region} parameter. */
    static @Nullable String regionOf(@Nullable String path, @Nullable String parameter) {
        if (path != null) {
            for (String segment : path.split("/")) {
                if (!segment.isEmpty() && RegionId.isValid(segment)) {
                    return segment;
                }
            }
        }
        return parameter != null && RegionId.isValid(parameter) ? parameter : null;
    }
}
