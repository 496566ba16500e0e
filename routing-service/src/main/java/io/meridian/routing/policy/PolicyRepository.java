package io.meridian.routing.policy;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import io.meridian.routing.engine.PolicyDocument;
import io.meridian.routing.engine.PolicySource;
import io.meridian.routing.engine.PolicyValidator;
import io.meridian.routing.engine.RoutingPolicy;
import io.meridian.routing.engine.StoredPolicy;
import tools.jackson.databind.ObjectMapper;

/**
 * Policies in the routing schema (the operator's document as JSON; every write checks the version it
 * expects), and the in-memory copy the routing tables are compiled from.
 */
@Repository
class PolicyRepository implements PolicySource {

    private static final String COLUMNS = "body, version, created_at, updated_at";

    private final JdbcClient jdbc;
    private final ObjectMapper json;
    /** Stored policies were validated when written; reading them back does not check the registry again. */
    private final PolicyValidator reader = new PolicyValidator(id -> true);
    private volatile Map<String, StoredPolicy> cached = Map.of();

    PolicyRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    Optional<StoredPolicy> find(String service) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM routing_policies WHERE service = :service").param("service", service)
                .query(this::map).optional();
    }

    /** Locks the row for the rest of the transaction, so concurrent changes of one policy serialise. */
    Optional<StoredPolicy> lock(String service) {
        return jdbc.sql("SELECT " + COLUMNS + " FROM routing_policies WHERE service = :service FOR UPDATE").param("service", service)
                .query(this::map).optional();
    }

    List<StoredPolicy> findAll() {
        return jdbc.sql("SELECT " + COLUMNS + " FROM routing_policies ORDER BY service").query(this::map).list();
    }

    /** Inserts at version 1; false if the service has a policy already. */
    boolean insert(RoutingPolicy policy, Instant now) {
        return jdbc.sql("""
                INSERT INTO routing_policies (service, version, body, created_at, updated_at)
                VALUES (:service, 1, CAST(:body AS jsonb), :now, :now) ON CONFLICT (service) DO NOTHING
                """).param("service", policy.service()).param("body", body(policy)).param("now", Timestamp.from(now)).update() == 1;
    }

    /** Replaces the policy if it is at {@code expectedVersion}. */
    boolean update(RoutingPolicy policy, long expectedVersion, Instant now) {
        return jdbc.sql("""
                UPDATE routing_policies SET version = version + 1, body = CAST(:body AS jsonb), updated_at = :now
                WHERE service = :service AND version = :expected
                """).param("service", policy.service()).param("body", body(policy)).param("now", Timestamp.from(now))
                .param("expected", expectedVersion).update() == 1;
    }

    /** Deletes the policy if it is at {@code expectedVersion}. */
    boolean delete(String service, long expectedVersion) {
        return jdbc.sql("DELETE FROM routing_policies WHERE service = :service AND version = :expected")
                .param("service", service).param("expected", expectedVersion).update() == 1;
    }

    @Override
    public Collection<StoredPolicy> policies() {
        return cached.values();
    }

    @Override
    public Optional<StoredPolicy> policy(String service) {
        return Optional.ofNullable(cached.get(service));
    }

    /** Serialised, so that a read begun after a commit is never overwritten by one begun before it. */
    @Override
    public synchronized boolean refresh() {
        Map<String, StoredPolicy> next = new TreeMap<>();
        for (StoredPolicy policy : findAll()) {
            next.put(policy.policy().service(), policy);
        }
        boolean changed = !next.equals(cached);
        cached = next;
        return changed;
    }

    private String body(RoutingPolicy policy) {
        return json.writeValueAsString(PolicyDocument.of(policy, null));
    }

    private StoredPolicy map(ResultSet rs, int row) throws SQLException {
        RoutingPolicy policy = reader.validate(json.readValue(rs.getString("body"), PolicyDocument.class));
        return new StoredPolicy(policy, rs.getLong("version"), rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }
}
