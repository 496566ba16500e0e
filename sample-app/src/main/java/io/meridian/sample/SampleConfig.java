package io.meridian.sample;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How one sample-app instance runs.
 *
 * @param region      the region it serves, e.g. {@code us-east-1}; reported in every answer
 * @param instance    the name of this instance, reported on {@code GET /}
 * @param bind        the address the HTTP server binds to
 * @param port        the HTTP port; {@code 0} picks a free one
 * @param jdbcUrl     the regional database, e.g. {@code jdbc:postgresql://127.0.0.1:15433/app}
 * @param dbUser      the database user
 * @param dbPassword  the database password; empty for trust authentication
 */
public record SampleConfig(String region, String instance, String bind, int port, String jdbcUrl, String dbUser,
        String dbPassword) {

    private static final Pattern REGION = Pattern.compile("[a-z][a-z0-9-]{0,62}");

    /** Validates the settings. */
    public SampleConfig {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(dbUser, "dbUser");
        Objects.requireNonNull(dbPassword, "dbPassword");
        if (!REGION.matcher(region).matches()) {
            throw new IllegalArgumentException("region must be lowercase letters, digits and '-', starting with a letter: " + region);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0-65535: " + port);
        }
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbc-url must be a PostgreSQL JDBC URL: " + jdbcUrl);
        }
    }

    /** Settings for {@code region} on loopback with an instance name made of the region and this process id. */
    public static SampleConfig of(String region, int port, String jdbcUrl, String dbUser) {
        return new SampleConfig(region, defaultInstance(region), "127.0.0.1", port, jdbcUrl, dbUser, "");
    }

    /** This configuration on another port (used once the server has picked a free one). */
    SampleConfig withPort(int newPort) {
        return new SampleConfig(region, instance, bind, newPort, jdbcUrl, dbUser, dbPassword);
    }

    static String defaultInstance(String region) {
        return region + "-" + ProcessHandle.current().pid();
    }
}
