package io.meridian.region.latency;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.Region;
import io.meridian.common.region.RegionId;
import io.meridian.region.registry.RegionRegistry;
import io.meridian.region.registry.RegisteredRegion;
import io.meridian.support.audit.AuditLog;

/**
 * Round-trip times between every ordered pair of regions: the measured value where a probe or an
 * operator reported one (either direction), else a great-circle estimate from the two locations.
 */
@Service
public class LatencyMatrix {

    /** Whether a figure was measured or estimated from distance. */
    public enum Kind {
        MEASURED, ESTIMATED
    }

    /**
     * One pair.
     *
     * @param from       source region
     * @param to         target region
     * @param rttMillis  round-trip time in milliseconds
     * @param kind       measured or estimated
     * @param source     who measured it ({@code probe}, {@code operator}), or {@code great-circle}
     * @param measuredAt when it was measured, for measured figures
     */
    public record Entry(RegionId from, RegionId to, double rttMillis, Kind kind, String source, @Nullable Instant measuredAt) {
    }

    /**
     * A measurement.
     *
     * @param rttMillis round-trip time in milliseconds, above 0 and at most 60000
     * @param source    who measured it, 1-40 lowercase letters, digits or '-'
     */
    public record Measurement(double rttMillis, String source) {
        public Measurement {
            if (!(rttMillis > 0) || rttMillis > 60_000) {
                throw new InvalidFieldException("rttMillis", "must be above 0 and at most 60000");
            }
            if (source == null || !source.matches("[a-z][a-z0-9-]{0,39}")) {
                throw new InvalidFieldException("source", "must be 1-40 lowercase letters, digits or '-'");
            }
        }
    }

    private final JdbcClient jdbc;
    private final RegionRegistry registry;
    private final AuditLog audit;

    LatencyMatrix(JdbcClient jdbc, RegionRegistry registry, AuditLog audit) {
        this.jdbc = jdbc;
        this.registry = registry;
        this.audit = audit;
    }

    /** Records a measured round trip from {@code from} to {@code to}. */
    @Transactional
    public Entry record(RegionId from, RegionId to, Measurement measurement) {
        if (from.equals(to)) {
            throw new InvalidFieldException("to", "must be another region");
        }
        registry.get(from);
        registry.get(to);
        Instant now = Instant.now();
        jdbc.sql("""
                INSERT INTO region_latency (from_region, to_region, rtt_millis, source, measured_at)
                VALUES (:from, :to, :rtt, :source, :at)
                ON CONFLICT (from_region, to_region) DO UPDATE SET rtt_millis = :rtt, source = :source, measured_at = :at
                """)
                .param("from", from.value()).param("to", to.value()).param("rtt", measurement.rttMillis())
                .param("source", measurement.source()).param("at", Timestamp.from(now)).update();
        Entry entry = new Entry(from, to, measurement.rttMillis(), Kind.MEASURED, measurement.source(), now);
        audit.succeeded("region.latency.record", "latency/" + from + "/" + to, null, entry);
        return entry;
    }

    /** The whole matrix, every ordered pair of registered regions. */
    public List<Entry> matrix() {
        List<Region> regions = registry.list(null, null).stream().map(RegisteredRegion::region).toList();
        Map<String, Entry> measured = new HashMap<>();
        jdbc.sql("SELECT from_region, to_region, rtt_millis, source, measured_at FROM region_latency").query((rs, row) -> {
            Entry entry = new Entry(RegionId.of(rs.getString(1)), RegionId.of(rs.getString(2)), rs.getDouble(3), Kind.MEASURED,
                    rs.getString(4), rs.getTimestamp(5).toInstant());
            measured.put(entry.from() + ">" + entry.to(), entry);
            return entry;
        }).list();
        List<Entry> entries = new ArrayList<>();
        for (Region from : regions) {
            for (Region to : regions) {
                if (from.id().equals(to.id())) {
                    continue;
                }
                Entry direct = measured.get(from.id() + ">" + to.id());
                Entry reverse = measured.get(to.id() + ">" + from.id());
                if (direct != null) {
                    entries.add(direct);
                } else if (reverse != null) {
                    entries.add(new Entry(from.id(), to.id(), reverse.rttMillis(), Kind.MEASURED, reverse.source(), reverse.measuredAt()));
                } else {
                    entries.add(new Entry(from.id(), to.id(), Math.round(from.location().estimatedRttMillis(to.location()) * 10) / 10.0,
                            Kind.ESTIMATED, "great-circle", null));
                }
            }
        }
        return entries;
    }
}
