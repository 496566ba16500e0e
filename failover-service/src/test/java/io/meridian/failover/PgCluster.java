package io.meridian.failover;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.meridian.stack.Ports;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.testsupport.ApiClient;
import io.meridian.testsupport.TestInfrastructure;

/**
 * A real PostgreSQL primary with streaming standbys for one test, built with {@link PostgresCluster} under the
 * test infrastructure's directory (database {@code app}, slots named after the standbys' regions).
 */
final class PgCluster implements AutoCloseable {

    final String name;
    final PostgresCluster primary;
    final Map<String, PostgresCluster> standbys = new LinkedHashMap<>();
    private final Path dir;

    private PgCluster(String name, Path dir, PostgresCluster primary) {
        this.name = name;
        this.dir = dir;
        this.primary = primary;
    }

    /** Starts a primary in {@code primaryRegion} and a streaming standby in each of {@code standbyRegions}. */
    static PgCluster start(String name, String primaryRegion, String... standbyRegions) {
        Path dir = TestInfrastructure.get().newDirectory("pg-" + name);
        PostgresCluster primary = PostgresCluster.builder(primaryRegion, dir.resolve(primaryRegion), Ports.freePort())
                .setting("fsync", "off").setting("wal_sender_timeout", "5s").setting("wal_receiver_status_interval", "1s")
                .build().initIfNeeded().start().stopOnJvmExit();
        primary.createDatabase("app");
        PgCluster cluster = new PgCluster(name, dir, primary);
        for (String region : standbyRegions) {
            PostgresCluster standby = PostgresCluster.standbyOf(primary, region, dir.resolve(region), Ports.freePort(), slot(region))
                    .start().stopOnJvmExit();
            cluster.standbys.put(region, standby);
        }
        return cluster;
    }

    static String slot(String region) {
        return region.replace('-', '_');
    }

    PostgresCluster standby(String region) {
        return standbys.get(region);
    }

    /** Every member by region. */
    Map<String, PostgresCluster> members() {
        Map<String, PostgresCluster> all = new LinkedHashMap<>();
        all.put(primary.name(), primary);
        all.putAll(standbys);
        return all;
    }

    /** The body that registers this cluster with failover-service; {@code urls} overrides members' JDBC URLs. */
    String registration(Long maxLagBytes, Map<String, String> zones, Map<String, String> urls) {
        return registration(maxLagBytes, zones, urls, Map.of());
    }

    /** The same, with {@code appHealthUrls}: each region's application health endpoint. */
    String registration(Long maxLagBytes, Map<String, String> zones, Map<String, String> urls, Map<String, String> appHealthUrls) {
        List<Map<String, Object>> members = new ArrayList<>();
        members().forEach((region, pg) -> {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("region", region);
            member.put("zone", zones.getOrDefault(region, "US"));
            member.put("jdbcUrl", urls.getOrDefault(region, pg.jdbcUrl("app")));
            member.put("role", pg == primary ? "PRIMARY" : "STANDBY");
            member.put("dataDir", pg.dataDir().toString());
            if (appHealthUrls.containsKey(region)) {
                member.put("appHealthUrl", appHealthUrls.get(region));
            }
            members.add(member);
        });
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("members", members);
        body.put("maxLagBytes", maxLagBytes);
        body.put("synchronous", false);
        return ApiClient.json(body);
    }

    String registration() {
        return registration(null, Map.of(), Map.of());
    }

    /** Runs SQL on a member. */
    static void sql(PostgresCluster pg, String... statements) throws SQLException {
        try (Connection c = pg.connect("app"); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    /** The ids in {@code table} of a member. */
    static Set<Long> ids(PostgresCluster pg, String table) throws SQLException {
        Set<Long> ids = new TreeSet<>();
        try (Connection c = pg.connect("app"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id FROM " + table)) {
            while (rs.next()) {
                ids.add(rs.getLong(1));
            }
        }
        return ids;
    }

    /** Whether a member streams to {@code standbyRegion} (by its slot). */
    static boolean streamsTo(PostgresCluster primary, String standbyRegion) {
        try (Connection c = primary.connect("postgres"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots sl ON sl.active_pid = r.pid WHERE r.state = 'streaming' "
                        + "AND sl.slot_name = '" + slot(standbyRegion) + "'")) {
            rs.next();
            return rs.getInt(1) == 1;
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (PostgresCluster pg : members().values()) {
            try {
                pg.thaw();
                pg.stop();
            } catch (RuntimeException e) {
                // best effort: the JVM hook stops it otherwise
            }
        }
    }
}
