package io.meridian.backup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.springframework.test.context.DynamicPropertyRegistry;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.meridian.stack.Ports;
import io.meridian.stack.postgres.PostgresCluster;
import io.meridian.testsupport.TestInfrastructure;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The managed side of the backup tests, started once per test JVM: a real PostgreSQL cluster per
 * region, an S3 API on loopback (s3proxy with its filesystem store, the same server the local stack
 * runs, checking signatures) with a bucket per region, and a Kubernetes API per region for two of
 * them (fabric8's mock server in CRUD mode). Regions: {@code us-east-1} and {@code us-west-2} (zone
 * US, with Kubernetes), {@code eu-west-1} and {@code eu-central-1} (zone EU).
 */
public final class BackupTestBed {

    public static final String ACCESS_KEY = "MERIDIANTESTACCESSKY";
    public static final String SECRET = "meridian-test-secret-key-0123456789abcdef";
    public static final List<String> REGIONS = List.of("us-east-1", "us-west-2", "eu-west-1", "eu-central-1");

    private static volatile BackupTestBed instance;

    private final Map<String, PostgresCluster> clusters;
    private final Map<String, KubernetesMockServer> kubernetes;
    private final URI s3Endpoint;
    private final Path root;
    private final S3Client s3;

    private BackupTestBed(Map<String, PostgresCluster> clusters, Map<String, KubernetesMockServer> kubernetes, URI s3Endpoint, Path root) {
        this.clusters = clusters;
        this.kubernetes = kubernetes;
        this.s3Endpoint = s3Endpoint;
        this.root = root;
        this.s3 = S3Client.builder().endpointOverride(s3Endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET))).build();
    }

    public static BackupTestBed get() {
        BackupTestBed current = instance;
        if (current == null) {
            synchronized (BackupTestBed.class) {
                current = instance;
                if (current == null) {
                    current = start();
                    instance = current;
                }
            }
        }
        return current;
    }

    private static BackupTestBed start() {
        TestInfrastructure infrastructure = TestInfrastructure.get();
        Path root = infrastructure.newDirectory("backup-bed");
        Map<String, PostgresCluster> clusters = new LinkedHashMap<>();
        for (String region : REGIONS) {
            PostgresCluster cluster = PostgresCluster.builder(region, infrastructure.newDirectory("pg-" + region).resolve("data"),
                    Ports.freePort()).build();
            cluster.initIfNeeded().start().stopOnJvmExit();
            cluster.createDatabase("app");
            clusters.put(region, cluster);
        }
        FilesystemNio2BlobStore store = new FilesystemNio2BlobStore(infrastructure.newDirectory("s3-blobs").toString());
        URI endpoint = URI.create("http://127.0.0.1:" + Ports.freePort());
        S3Proxy proxy = S3Proxy.builder().blobStore(store).endpoint(endpoint)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET).build();
        try {
            proxy.start();
            while (!"STARTED".equals(proxy.getState()) && !"FAILED".equals(proxy.getState())) {
                Thread.onSpinWait();
            }
        } catch (Exception e) {
            throw new IllegalStateException("s3proxy did not start", e);
        }
        for (String region : REGIONS) {
            store.createContainer(bucket(region));
        }
        Map<String, KubernetesMockServer> kubernetes = new LinkedHashMap<>();
        for (String region : List.of("us-east-1", "us-west-2")) {
            KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                    new KubernetesCrudDispatcher(), false);
            try {
                server.init(InetAddress.getByName("127.0.0.1"), Ports.freePort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            kubernetes.put(region, server);
        }
        return new BackupTestBed(clusters, kubernetes, endpoint, root);
    }

    public static String bucket(String region) {
        return "meridian-" + region;
    }

    /** Points the service at the bed. */
    public void register(DynamicPropertyRegistry registry) {
        registry.add("meridian.backup.s3.endpoint", s3Endpoint::toString);
        registry.add("meridian.backup.s3.access-key-id", () -> ACCESS_KEY);
        registry.add("meridian.backup.s3.secret-access-key", () -> SECRET);
        registry.add("meridian.backup.part-size", () -> "5MB");
        // the zstd path end to end (the default, pg_dump's own compression, is a plain copy of pg_dump's output)
        registry.add("meridian.backup.logical-compression", () -> "ZSTD");
        registry.add("meridian.backup.scheduler-tick", () -> "300ms");
        // interrupted work is recognised after 6 s without a heartbeat (renewed every 500 ms)
        registry.add("meridian.backup.heartbeat", () -> "500ms");
        registry.add("meridian.backup.stale-after", () -> "6s");
        registry.add("meridian.backup.work-dir", () -> root.resolve("work").toString());
        Map<String, double[]> locations = Map.of("us-east-1", new double[] {38.9, -77.4}, "us-west-2", new double[] {45.6, -121.2},
                "eu-west-1", new double[] {53.35, -6.26}, "eu-central-1", new double[] {50.1, 8.7});
        for (String region : REGIONS) {
            String prefix = "meridian.backup.regions." + region + ".";
            registry.add(prefix + "zone", () -> region.startsWith("eu") ? "EU" : "US");
            registry.add(prefix + "latitude", () -> locations.get(region)[0]);
            registry.add(prefix + "longitude", () -> locations.get(region)[1]);
            registry.add(prefix + "database-port", () -> clusters.get(region).port());
            registry.add(prefix + "bucket", () -> bucket(region));
            registry.add(prefix + "data-root", () -> root.resolve("data-" + region).toString());
            KubernetesMockServer k8s = kubernetes.get(region);
            if (k8s != null) {
                registry.add(prefix + "kubernetes-api", () -> "http://127.0.0.1:" + k8s.getPort());
            }
        }
    }

    public PostgresCluster cluster(String region) {
        return clusters.get(region);
    }

    public KubernetesClient kubernetes(String region) {
        return kubernetes.get(region).createClient();
    }

    public S3Client s3() {
        return s3;
    }

    public Path root() {
        return root;
    }

    /** Runs SQL statements in a database of a region. */
    public void sql(String region, String database, String... statements) {
        try (Connection c = cluster(region).connect(database); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The first column of the first row. */
    public String value(String region, String database, String query) {
        try (Connection c = cluster(region).connect(database); Statement s = c.createStatement(); var rs = s.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean databaseExists(String region, String database) {
        return "1".equals(value(region, "postgres", "SELECT 1 FROM pg_database WHERE datname = '" + database + "'"));
    }
}
