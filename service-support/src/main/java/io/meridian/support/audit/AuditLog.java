package io.meridian.support.audit;

import java.net.URI;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import jakarta.servlet.http.HttpServletRequest;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

import io.meridian.common.events.EventTypes;
import io.meridian.common.events.MeridianEvents;
import io.meridian.common.events.Topics;
import io.meridian.common.time.HlcTimestamp;
import io.meridian.common.time.HybridLogicalClock;
import io.meridian.support.kafka.EventPublisher;
import io.meridian.support.logging.OperationContextFilter;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Records control actions in the service's {@code audit_log} table, inside the caller's transaction
 * when there is one (so the record and the change commit or roll back together), and publishes each
 * record on {@value Topics#AUDIT} after commit.
 */
public class AuditLog {

    /** Request header carrying the operator's reason for a control action. */
    public static final String REASON_HEADER = "X-Meridian-Reason";
    /** Request attribute set once a handler recorded its action, so the interceptor does not record it twice. */
    static final String RECORDED = AuditLog.class.getName() + ".recorded";

    private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final HybridLogicalClock clock;
    private final EventPublisher events;
    private final URI source;

    public AuditLog(JdbcClient jdbc, ObjectMapper json, HybridLogicalClock clock, EventPublisher events, String serviceName) {
        this.jdbc = jdbc;
        this.json = json;
        this.clock = clock;
        this.events = events;
        this.source = URI.create("/meridian/" + serviceName);
    }

    /** Records a successful action that moved {@code target} from {@code before} to {@code after}. */
    public AuditRecord succeeded(String action, String target, @Nullable Object before, @Nullable Object after) {
        return record(action, target, currentReason(), AuditRecord.Outcome.SUCCEEDED, null, before, after);
    }

    /** Records an action in full. */
    public AuditRecord record(String action, String target, @Nullable String reason, AuditRecord.Outcome outcome,
            @Nullable String detail, @Nullable Object before, @Nullable Object after) {
        Authentication caller = SecurityContextHolder.getContext().getAuthentication();
        String actor = caller == null || !caller.isAuthenticated() ? "system" : caller.getName();
        String roles = caller == null ? "" : String.join(",", caller.getAuthorities().stream()
                .map(GrantedAuthority::getAuthority).filter(a -> a.startsWith("ROLE_")).map(a -> a.substring(5)).sorted().toList());
        HlcTimestamp hlc = clock.now();
        AuditRecord record = new AuditRecord(UUID.randomUUID(), Instant.ofEpochMilli(hlc.physicalMillis()), hlc.toString(), actor,
                roles, action, target, trim(reason, 1000), outcome, trim(detail, 2000), toJson(before), toJson(after),
                trim(MDC.get(OperationContextFilter.OPERATION), 64));
        jdbc.sql("""
                INSERT INTO audit_log (id, recorded_at, hlc, actor, roles, action, target, reason, outcome, detail, before_state, after_state,
                                       operation)
                VALUES (:id, :at, :hlc, :actor, :roles, :action, :target, :reason, :outcome, :detail, CAST(:before AS jsonb), CAST(:after AS jsonb),
                        :operation)
                """)
                .param("id", record.id())
                .param("at", Timestamp.from(record.recordedAt()))
                .param("hlc", hlc.packed())
                .param("actor", actor)
                .param("roles", roles)
                .param("action", action)
                .param("target", target)
                .param("reason", record.reason())
                .param("outcome", outcome.name())
                .param("detail", record.detail())
                .param("before", record.before() == null ? null : record.before().toString())
                .param("after", record.after() == null ? null : record.after().toString())
                .param("operation", record.operation())
                .update();
        markRecorded();
        afterCommit(() -> events.publish(Topics.AUDIT,
                MeridianEvents.event(EventTypes.AUDIT_RECORDED, source, target, hlc.packed(), hlc, record)));
        return record;
    }

    /** The newest records first, at most {@code limit}, optionally only those about {@code target}. */
    public List<AuditRecord> recent(int limit, @Nullable String target) {
        String where = target == null ? "" : " WHERE target = :target";
        var statement = jdbc.sql("SELECT * FROM audit_log" + where + " ORDER BY hlc DESC LIMIT :limit").param("limit", limit);
        if (target != null) {
            statement = statement.param("target", target);
        }
        return statement.query((rs, row) -> new AuditRecord(
                rs.getObject("id", UUID.class),
                rs.getTimestamp("recorded_at").toInstant(),
                HlcTimestamp.fromPacked(rs.getLong("hlc")).toString(),
                rs.getString("actor"),
                rs.getString("roles"),
                rs.getString("action"),
                rs.getString("target"),
                rs.getString("reason"),
                AuditRecord.Outcome.valueOf(rs.getString("outcome")),
                rs.getString("detail"),
                parse(rs.getString("before_state")),
                parse(rs.getString("after_state")),
                rs.getString("operation"))).list();
    }

    /** The reason the current request gives in {@value #REASON_HEADER}, if any. */
    public static @Nullable String currentReason() {
        HttpServletRequest request = currentRequest();
        return request == null ? null : request.getHeader(REASON_HEADER);
    }

    private static void markRecorded() {
        HttpServletRequest request = currentRequest();
        if (request != null) {
            request.setAttribute(RECORDED, Boolean.TRUE);
        }
    }

    private static @Nullable HttpServletRequest currentRequest() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes ? attributes.getRequest() : null;
    }

    private static void afterCommit(Runnable action) {
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    action.run();
                }
            });
        } else {
            action.run();
        }
    }

    private @Nullable JsonNode toJson(@Nullable Object value) {
        return value == null ? null : json.valueToTree(value);
    }

    private @Nullable JsonNode parse(@Nullable String text) {
        return text == null ? null : json.readTree(text);
    }

    private static @Nullable String trim(@Nullable String text, int max) {
        if (text == null) {
            return null;
        }
        if (text.length() > max) {
            log.debug("audit text trimmed from {} to {} characters", text.length(), max);
            return text.substring(0, max);
        }
        return text;
    }
}
