package io.meridian.failover.quorum;

import java.sql.Timestamp;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

import tools.jackson.databind.ObjectMapper;

/**
 * The decisions: the newest per cluster in memory (every instance decides, for its status), and in the
 * {@code decisions} table each change of a cluster's decision code as the executor saw it, so that the history
 * of why the service acted or held survives restarts without one row per probe interval.
 */
@Component
public class DecisionLog {

    private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);

    private final JdbcClient jdbc;
    private final ObjectMapper json;
    private final Map<String, Decision> latest = new ConcurrentHashMap<>();
    private final Map<String, Decision.Code> persisted = new ConcurrentHashMap<>();

    DecisionLog(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Records a decision; persists it if {@code persist} and its code differs from the last persisted one of its cluster. */
    public void record(Decision decision, boolean persist) {
        Decision previous = latest.put(decision.cluster(), decision);
        if (previous == null || previous.code() != decision.code()) {
            log.info("Cluster {}: {} - {}", decision.cluster(), decision.code(), String.join("; ", decision.reasons()));
        }
        if (persist && persisted.get(decision.cluster()) != decision.code()) {
            jdbc.sql("INSERT INTO decisions (cluster, decided_at, code, act, body) VALUES (:cluster, :at, :code, :act, CAST(:body AS jsonb))")
                    .param("cluster", decision.cluster()).param("at", Timestamp.from(decision.at())).param("code", decision.code().name())
                    .param("act", decision.act()).param("body", json.writeValueAsString(decision)).update();
            persisted.put(decision.cluster(), decision.code());
        }
    }

    /** The newest decision about {@code cluster}. */
    public Optional<Decision> latest(String cluster) {
        return Optional.ofNullable(latest.get(cluster));
    }

    /** The newest persisted decision changes, newest first, optionally of one cluster. */
    public List<Decision> history(@Nullable String cluster, int limit) {
        return jdbc.sql("SELECT body FROM decisions WHERE (CAST(:cluster AS text) IS NULL OR cluster = :cluster) ORDER BY id DESC LIMIT :limit")
                .param("cluster", cluster).param("limit", limit)
                .query((rs, row) -> json.readValue(rs.getString(1), Decision.class)).list();
    }

    /** Forgets a cluster's in-memory decisions. */
    public void forget(String cluster) {
        latest.remove(cluster);
        persisted.remove(cluster);
    }
}
