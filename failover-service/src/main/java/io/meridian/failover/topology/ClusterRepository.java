package io.meridian.failover.topology;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

import tools.jackson.databind.ObjectMapper;

/** Clusters in the failover schema; every write checks the version it expects. */
@Repository
class ClusterRepository {

    private final JdbcClient jdbc;
    private final ObjectMapper json;

    ClusterRepository(JdbcClient jdbc, ObjectMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    List<StoredCluster> findAll() {
        return jdbc.sql("SELECT body, version, updated_at FROM clusters ORDER BY name").query(this::map).list();
    }

    Optional<StoredCluster> find(String name) {
        return jdbc.sql("SELECT body, version, updated_at FROM clusters WHERE name = :name").param("name", name).query(this::map).optional();
    }

    /** Locks the cluster's row for the rest of the transaction. */
    Optional<StoredCluster> lock(String name) {
        return jdbc.sql("SELECT body, version, updated_at FROM clusters WHERE name = :name FOR UPDATE").param("name", name).query(this::map)
                .optional();
    }

    /** Inserts the cluster at version 1 unless one with its name exists; whether it was inserted. */
    boolean insert(Cluster cluster, Instant now) {
        return jdbc.sql("INSERT INTO clusters (name, body, version, updated_at) VALUES (:name, CAST(:body AS jsonb), 1, :now) "
                        + "ON CONFLICT (name) DO NOTHING")
                .param("name", cluster.name()).param("body", json.writeValueAsString(cluster)).param("now", Timestamp.from(now))
                .update() == 1;
    }

    /** Replaces the cluster if it is at {@code expectedVersion}. */
    boolean update(Cluster cluster, long expectedVersion, Instant now) {
        return jdbc.sql("UPDATE clusters SET body = CAST(:body AS jsonb), version = version + 1, updated_at = :now "
                        + "WHERE name = :name AND version = :expected")
                .param("name", cluster.name()).param("body", json.writeValueAsString(cluster)).param("now", Timestamp.from(now))
                .param("expected", expectedVersion).update() == 1;
    }

    boolean delete(String name, long expectedVersion) {
        return jdbc.sql("DELETE FROM clusters WHERE name = :name AND version = :expected").param("name", name)
                .param("expected", expectedVersion).update() == 1;
    }

    private StoredCluster map(ResultSet rs, int row) throws SQLException {
        return new StoredCluster(json.readValue(rs.getString("body"), Cluster.class), rs.getLong("version"),
                rs.getTimestamp("updated_at").toInstant());
    }
}
