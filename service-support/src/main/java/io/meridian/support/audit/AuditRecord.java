package io.meridian.support.audit;

import java.time.Instant;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

import tools.jackson.databind.JsonNode;

/**
 * One control action: who did what to which target, why, with what result, and the state before and
 * after where the action changed state.
 *
 * @param id         record id
 * @param recordedAt when it was recorded
 * @param hlc        hybrid logical time of the action
 * @param actor      the caller's subject, or {@code system} for the service's own actions
 * @param roles      the caller's roles, comma-separated
 * @param action     what was done ({@code region.register}, {@code POST /api/v1/regions})
 * @param target     what it was done to ({@code region/eu-west-1})
 * @param reason     why, as the caller gave it ({@code X-Meridian-Reason} or a reason field)
 * @param outcome    {@code SUCCEEDED}, {@code REJECTED} (4xx) or {@code FAILED} (5xx)
 * @param detail     the outcome's detail (problem type and detail for a rejection)
 * @param before     state before, as JSON
 * @param after      state after, as JSON
 * @param operation  the operation id the action was part of (the request's {@code X-Request-Id}, or the id of the
 *                   deployment, failover or backup run that acted), as in the log lines of the same operation
 */
public record AuditRecord(UUID id, Instant recordedAt, String hlc, String actor, String roles, String action, String target,
        @Nullable String reason, Outcome outcome, @Nullable String detail, @Nullable JsonNode before, @Nullable JsonNode after,
        @Nullable String operation) {

    /** Result of an action. */
    public enum Outcome {
        SUCCEEDED, REJECTED, FAILED
    }
}
