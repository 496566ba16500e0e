package io.meridian.common.region;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import io.meridian.common.problem.InvalidFieldException;

/**
 * How to reach a region's managed parts.
 *
 * @param kubernetesApi     the region's Kubernetes API server URL
 * @param kubernetesContext the kubeconfig context name for it, if one is used
 * @param databases         the region's databases
 * @param objectStore       the S3 API endpoint and bucket of the region
 * @param ingressUrl        where the region's live traffic enters (its gateway or app ingress)
 */
public record RegionEndpoints(URI kubernetesApi, @Nullable String kubernetesContext, List<DatabaseEndpoint> databases,
        ObjectStore objectStore, URI ingressUrl) {

    /** Compiled once: endpoints are built for every registry read, and String.matches compiles its pattern each time. */
    private static final class Patterns {
        static final Pattern CONTEXT = Pattern.compile("[A-Za-z0-9._@:/-]{1,253}");
        static final Pattern DATABASE = Pattern.compile("[a-z][a-z0-9_-]{0,62}");
        static final Pattern JDBC_URL = Pattern.compile("jdbc:postgresql://[^\\s/?#]+(:[0-9]{1,5})?/[A-Za-z0-9_-]+(\\?[^\\s]*)?");
        static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    }

    public RegionEndpoints {
        Urls.require("kubernetesApi", kubernetesApi, "http", "https");
        Urls.require("ingressUrl", ingressUrl, "http", "https");
        if (kubernetesContext != null && !Patterns.CONTEXT.matcher(kubernetesContext).matches()) {
            throw new InvalidFieldException("kubernetesContext", "must be 1-253 characters of letters, digits and ._@:/-");
        }
        if (databases == null) {
            throw new InvalidFieldException("databases", "must be present (may be empty)");
        }
        for (int i = 0; i < databases.size(); i++) {
            if (databases.get(i) == null) {
                throw new InvalidFieldException("databases[" + i + "]", "must not be null");
            }
        }
        long distinct = databases.stream().map(DatabaseEndpoint::name).distinct().count();
        if (distinct != databases.size()) {
            throw new InvalidFieldException("databases", "names must be unique within a region");
        }
        databases = List.copyOf(databases);
        if (objectStore == null) {
            throw new InvalidFieldException("objectStore", "must be present");
        }
    }

    /**
     * One regional database.
     *
     * @param name    logical name, unique within the region ({@code app})
     * @param jdbcUrl JDBC URL ({@code jdbc:postgresql://host:port/db})
     * @param role    whether it is a primary or a streaming standby
     */
    public record DatabaseEndpoint(String name, String jdbcUrl, DatabaseRole role) {
        public DatabaseEndpoint {
            if (name == null || !Patterns.DATABASE.matcher(name).matches()) {
                throw new InvalidFieldException("name", "must be 1-63 lowercase letters, digits, _ or -, starting with a letter");
            }
            if (jdbcUrl == null || !Patterns.JDBC_URL.matcher(jdbcUrl).matches()) {
                throw new InvalidFieldException("jdbcUrl", "must be jdbc:postgresql://host[:port]/database");
            }
            if (role == null) {
                throw new InvalidFieldException("role", "must be PRIMARY or STANDBY");
            }
        }
    }

    /** Role of a regional database in its replication topology. */
    public enum DatabaseRole {
        PRIMARY, STANDBY
    }

    /**
     * The region's object store.
     *
     * @param endpoint S3 API endpoint URL
     * @param bucket   bucket name (S3 rules: 3-63 lowercase letters, digits, dots, hyphens)
     */
    public record ObjectStore(URI endpoint, String bucket) {
        public ObjectStore {
            Urls.require("endpoint", endpoint, "http", "https");
            if (bucket == null || !Patterns.BUCKET.matcher(bucket).matches() || bucket.contains("..")) {
                throw new InvalidFieldException("bucket", "must be a valid S3 bucket name (3-63 lowercase letters, digits, '.', '-')");
            }
        }
    }

    static final class Urls {
        private Urls() {
        }

        static void require(String field, @Nullable URI uri, String... schemes) {
            if (uri == null) {
                throw new InvalidFieldException(field, "must be present");
            }
            if (!uri.isAbsolute() || uri.getHost() == null || !List.of(schemes).contains(uri.getScheme())) {
                throw new InvalidFieldException(field, "must be an absolute " + String.join(" or ", schemes) + " URL with a host");
            }
            if (uri.getUserInfo() != null) {
                throw new InvalidFieldException(field, "must not carry credentials");
            }
        }
    }
}
