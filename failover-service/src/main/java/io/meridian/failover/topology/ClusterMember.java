package io.meridian.failover.topology;

import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;
import io.meridian.common.region.RegionId;
import io.meridian.common.region.ResidencyZone;

/**
 * One member of a cluster: the database of one region.
 *
 * @param region  the region it serves (one member per region and cluster)
 * @param zone    the region's residency zone
 * @param jdbcUrl how probes and actions reach it ({@code jdbc:postgresql://host:port/db})
 * @param role    what it currently is
 * @param dataDir its data directory, for the local host adapter; empty for members a production adapter manages
 * @param appHealthUrl the region's application health endpoint ({@code http://.../health}), probed beside the database
 *                and reported with it; empty: not probed. It informs, it does not decide: a database failover does not
 *                mend an application that is down for its own reasons.
 */
public record ClusterMember(RegionId region, ResidencyZone zone, String jdbcUrl, MemberRole role, @Nullable String dataDir,
        @Nullable String appHealthUrl) {

    private static final Pattern APP_URL = Pattern.compile("https?://[^\\s/?#]+(/[^\\s]*)?");
    private static final Pattern JDBC = Pattern.compile("jdbc:postgresql://([^\\s/?#:]+)(:([0-9]{1,5}))?/([A-Za-z0-9_-]+)(\\?[^\\s]*)?");

    public ClusterMember {
        if (region == null) {
            throw new InvalidFieldException("region", "must be present");
        }
        if (zone == null) {
            throw new InvalidFieldException("zone", "must be present");
        }
        if (jdbcUrl == null || !JDBC.matcher(jdbcUrl).matches()) {
            throw new InvalidFieldException("jdbcUrl", "must be jdbc:postgresql://host[:port]/database");
        }
        if (role == null) {
            throw new InvalidFieldException("role", "must be PRIMARY, STANDBY or FENCED");
        }
        if (dataDir != null && (dataDir.isBlank() || !dataDir.startsWith("/"))) {
            throw new InvalidFieldException("dataDir", "must be an absolute path when present");
        }
        if (appHealthUrl != null && !APP_URL.matcher(appHealthUrl).matches()) {
            throw new InvalidFieldException("appHealthUrl", "must be an http(s) URL when present");
        }
    }

    /** A member whose application health is not probed. */
    public ClusterMember(RegionId region, ResidencyZone zone, String jdbcUrl, MemberRole role, @Nullable String dataDir) {
        this(region, zone, jdbcUrl, role, dataDir, null);
    }

    /** This member in another role. */
    public ClusterMember withRole(MemberRole next) {
        return new ClusterMember(region, zone, jdbcUrl, next, dataDir, appHealthUrl);
    }

    /** The TCP port of its JDBC URL (5432 when it names none). */
    public int port() {
        var m = JDBC.matcher(jdbcUrl);
        if (!m.matches()) {
            throw new IllegalStateException("unparseable " + jdbcUrl);
        }
        return m.group(3) == null ? 5432 : Integer.parseInt(m.group(3));
    }

    /** The host of its JDBC URL. */
    public String host() {
        var m = JDBC.matcher(jdbcUrl);
        if (!m.matches()) {
            throw new IllegalStateException("unparseable " + jdbcUrl);
        }
        return m.group(1);
    }

    /** The replication slot a standby of this region uses on its primary ({@code us-west-2} → {@code us_west_2}). */
    public String slotName() {
        return region.value().replace('-', '_');
    }
}
