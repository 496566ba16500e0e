package io.meridian.failover.execution;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.databind.ObjectMapper;

/**
 * Operations in the failover schema. At most one unfinished operation per cluster (a partial unique index).
 * The executor's writes carry its lease holder and fencing token and succeed only while that lease is current,
 * so an instance that lost the lease (paused, partitioned, resumed late) cannot move an operation on.
 */
@Repository
class OperationRepository {

    private static final String LEASE_HELD = "EXISTS (SELECT 1 FROM executor_lease WHERE name = :lease AND holder = :holder "
            + "AND token = :token AND expires_at > now())";

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    OperationRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    /** Inserts a requested operation (switchover, rejoin) unless one runs on its cluster; whether it was inserted. */
    boolean insertRequested(Operation op) {
        return jdbc.sql("INSERT INTO operations (id, kind, cluster, from_region, to_region, state, terminal, body, version, token, created_at, updated_at) "
                        + "VALUES (:id, :kind, :cluster, :from, :to, :state, false, CAST(:body AS jsonb), 0, NULL, :now, :now) "
                        + "ON CONFLICT (cluster) WHERE NOT terminal DO NOTHING")
                .param("id", op.id()).param("kind", op.kind().name()).param("cluster", op.cluster()).param("from", op.from().value())
                .param("to", op.to() == null ? null : op.to().value()).param("state", op.state().name())
                .param("body", json.writeValueAsString(op)).param("now", Timestamp.from(op.times().requestedAt()))
                .update() == 1;
    }

    /** Inserts an operation the executor decided on, only while it holds the lease with {@code token}. */
    boolean insertByExecutor(Operation op, String holder, long token) {
        return jdbc.sql("INSERT INTO operations (id, kind, cluster, from_region, to_region, state, terminal, body, version, token, created_at, updated_at) "
                        + "SELECT :id, :kind, :cluster, :from, :to, :state, false, CAST(:body AS jsonb), 0, :token, :now, :now WHERE " + LEASE_HELD
                        + " ON CONFLICT (cluster) WHERE NOT terminal DO NOTHING")
                .param("id", op.id()).param("kind", op.kind().name()).param("cluster", op.cluster()).param("from", op.from().value())
                .param("to", op.to() == null ? null : op.to().value()).param("state", op.state().name())
                .param("body", json.writeValueAsString(op)).param("now", Timestamp.from(op.times().requestedAt()))
                .param("lease", ExecutorLease.NAME).param("holder", holder).param("token", token)
                .update() == 1;
    }

    /**
     * Replaces the operation with {@code next} if it is still at {@code expectedVersion} and the caller still holds
     * the executor lease with {@code token}; false otherwise (another executor moved it on, or the lease is gone).
     */
    boolean update(Operation next, long expectedVersion, String holder, long token, Instant now) {
        return jdbc.sql("UPDATE operations SET to_region = :to, state = :state, terminal = :terminal, body = CAST(:body AS jsonb), "
                        + "version = version + 1, token = :token, updated_at = :now "
                        + "WHERE id = :id AND version = :expected AND (token IS NULL OR token <= :token) AND " + LEASE_HELD)
                .param("id", next.id()).param("to", next.to() == null ? null : next.to().value()).param("state", next.state().name())
                .param("terminal", next.state().terminal()).param("body", json.writeValueAsString(next))
                .param("now", Timestamp.from(now)).param("expected", expectedVersion)
                .param("lease", ExecutorLease.NAME).param("holder", holder).param("token", token)
                .update() == 1;
    }

    /** Unfinished operations, oldest first. */
    List<Operation> unfinished() {
        return jdbc.sql("SELECT body, version FROM operations WHERE NOT terminal ORDER BY created_at, id").query(this::map).list();
    }

    Optional<Operation> find(String id) {
        return jdbc.sql("SELECT body, version FROM operations WHERE id = :id").param("id", id).query(this::map).optional();
    }

    /** Whether an operation runs on {@code cluster}. */
    Optional<Operation> running(String cluster) {
        return jdbc.sql("SELECT body, version FROM operations WHERE cluster = :cluster AND NOT terminal").param("cluster", cluster)
                .query(this::map).optional();
    }

    /** The newest completed failover of {@code cluster} away from {@code from}. */
    Optional<Operation> lastFailoverFrom(String cluster, io.meridian.common.region.RegionId from) {
        return jdbc.sql("SELECT body, version FROM operations WHERE cluster = :cluster AND kind = 'FAILOVER' AND from_region = :from "
                        + "AND state = 'COMPLETED' ORDER BY created_at DESC LIMIT 1")
                .param("cluster", cluster).param("from", from.value()).query(this::map).optional();
    }

    /** The newest operations first, optionally of one cluster or kind. */
    List<Operation> recent(@Nullable String cluster, @Nullable OperationKind kind, int limit) {
        return jdbc.sql("SELECT body, version FROM operations WHERE (CAST(:cluster AS text) IS NULL OR cluster = :cluster) "
                        + "AND (CAST(:kind AS text) IS NULL OR kind = :kind) ORDER BY created_at DESC, id LIMIT :limit")
                .param("cluster", cluster).param("kind", kind == null ? null : kind.name()).param("limit", limit)
                .query(this::map).list();
    }

    private Operation map(ResultSet rs, int row) throws SQLException {
        Operation stored = json.readValue(rs.getString("body"), Operation.class);
        long version = rs.getLong("version");
        return new Operation(stored.id(), stored.kind(), stored.cluster(), stored.from(), stored.to(), stored.state(), stored.reason(),
                stored.actor(), stored.decision(), stored.times(), stored.measured(), stored.candidates(), stored.steps(), stored.outcome(),
                stored.condition(), version);
    }
}
