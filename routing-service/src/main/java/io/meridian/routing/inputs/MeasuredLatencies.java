package io.meridian.routing.inputs;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.problem.MeridianException;
import io.meridian.common.region.RegionId;
import io.meridian.support.audit.AuditLog;

/**
 * Measured round-trip times from a country's clients to a region (from real-user monitoring, synthetic
 * probes or an operator), which replace the great-circle estimate for that pair. Stored in the routing
 * schema, held in memory for compiling tables, re-read periodically so that a change made through
 * another instance arrives too.
 */
@Service
public class MeasuredLatencies {

    private static final Set<String> COUNTRIES = Set.of(Locale.getISOCountries());

    /**
     * One measurement.
     *
     * @param country    ISO country code of the clients
     * @param region     the region
     * @param rttMillis  round-trip time in milliseconds
     * @param source     who measured it
     * @param measuredAt when
     */
    public record Measurement(String country, RegionId region, double rttMillis, String source, Instant measuredAt) {
    }

    /**
     * What an operator or probe reports.
     *
     * @param rttMillis round-trip time in milliseconds, above 0 and at most 60000
     * @param source    who measured it: 1-40 lowercase letters, digits or '-'
     */
    public record Report(@Nullable Double rttMillis, @Nullable String source) {
    }

    private final JdbcClient jdbc;
    private final AuditLog audit;
    private final ApplicationEventPublisher changes;
    private volatile Map<String, Map<String, Double>> current = Map.of();

    MeasuredLatencies(JdbcClient jdbc, AuditLog audit, ApplicationEventPublisher changes) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.changes = changes;
    }

    /** Records a measurement (replacing the previous one of the pair). */
    @Transactional
    public Measurement record(String country, RegionId region, Report report) {
        if (!COUNTRIES.contains(country)) {
            throw new InvalidFieldException("country", "must be an upper-case ISO 3166-1 alpha-2 code");
        }
        if (report.rttMillis() == null || !(report.rttMillis() > 0) || report.rttMillis() > 60_000) {
            throw new InvalidFieldException("rttMillis", "must be above 0 and at most 60000");
        }
        if (report.source() == null || !report.source().matches("[a-z][a-z0-9-]{0,39}")) {
            throw new InvalidFieldException("source", "must be 1-40 lowercase letters, digits or '-', starting with a letter");
        }
        Instant now = Instant.now();
        Measurement before = find(country, region);
        jdbc.sql("""
                INSERT INTO measured_latency (country, region, rtt_millis, source, measured_at) VALUES (:country, :region, :rtt, :source, :at)
                ON CONFLICT (country, region) DO UPDATE SET rtt_millis = :rtt, source = :source, measured_at = :at
                """).param("country", country).param("region", region.value()).param("rtt", report.rttMillis())
                .param("source", report.source()).param("at", Timestamp.from(now)).update();
        Measurement measurement = new Measurement(country, region, report.rttMillis(), report.source(), now);
        audit.succeeded("routing.latency.record", "latency/" + country + "/" + region, before, measurement);
        changes.publishEvent(InputsChanged.stored("measured latency " + country + " -> " + region));
        return measurement;
    }

    /** Removes a measurement (the pair falls back to the great-circle estimate); 404 if there is none. */
    @Transactional
    public void remove(String country, RegionId region) {
        Measurement before = find(country, region);
        if (before == null) {
            throw MeridianException.notFound("latency measurement", country + "/" + region);
        }
        jdbc.sql("DELETE FROM measured_latency WHERE country = :country AND region = :region")
                .param("country", country).param("region", region.value()).update();
        audit.succeeded("routing.latency.remove", "latency/" + country + "/" + region, before, null);
        changes.publishEvent(InputsChanged.stored("measured latency " + country + " -> " + region + " removed"));
    }

    /** Every measurement. */
    public List<Measurement> all() {
        return jdbc.sql("SELECT country, region, rtt_millis, source, measured_at FROM measured_latency ORDER BY country, region")
                .query((rs, row) -> new Measurement(rs.getString(1), RegionId.of(rs.getString(2)), rs.getDouble(3), rs.getString(4),
                        rs.getTimestamp(5).toInstant())).list();
    }

    /** Country, then region id, to milliseconds. */
    public Map<String, Map<String, Double>> current() {
        return current;
    }

    /**
     * Re-reads the measurements; whether anything changed. Serialised, so that a read begun after a
     * commit is never overwritten by one begun before it.
     */
    public synchronized boolean refresh() {
        Map<String, Map<String, Double>> next = new TreeMap<>();
        for (Measurement m : all()) {
            next.computeIfAbsent(m.country(), c -> new TreeMap<>()).put(m.region().value(), m.rttMillis());
        }
        boolean changed = !next.equals(current);
        current = next;
        return changed;
    }

    private @Nullable Measurement find(String country, RegionId region) {
        return jdbc.sql("SELECT country, region, rtt_millis, source, measured_at FROM measured_latency WHERE country = :country AND region = :region")
                .param("country", country).param("region", region.value())
                .query((rs, row) -> new Measurement(rs.getString(1), RegionId.of(rs.getString(2)), rs.getDouble(3), rs.getString(4),
                        rs.getTimestamp(5).toInstant())).optional().orElse(null);
    }
}
