package io.meridian.stack.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.meridian.stack.Ports;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** Starts the local stack's S3 server in-process and uses it with the AWS SDK, as the services will. */
class S3ServerIntegrationTests {

    @TempDir
    static Path dir;

    private static S3Server server;
    private static List<String> buckets;

    @BeforeAll
    static void start() {
        buckets = RegionSeeds.load().stream().map(RegionSeeds.Seed::bucket).toList();
        server = S3Server.start(dir, Ports.freePort(), S3Server.Credentials.loadOrCreate(dir), buckets);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void everyRegionHasItsBucket() {
        try (S3Client s3 = client(server.credentials().secretAccessKey())) {
            assertThat(s3.listBuckets().buckets()).extracting(b -> b.name())
                    .containsExactlyInAnyOrder("meridian-us-east-1", "meridian-us-west-2", "meridian-eu-west-1",
                            "meridian-ap-northeast-1");
            for (String bucket : buckets) {
                assertThat(s3.headBucket(b -> b.bucket(bucket)).sdkHttpResponse().isSuccessful()).isTrue();
            }
        }
    }

    @Test
    void putThenGetRoundTrips() {
        try (S3Client s3 = client(server.credentials().secretAccessKey())) {
            s3.putObject(b -> b.bucket("meridian-eu-west-1").key("backups/2026/dump.sql"),
                    RequestBody.fromString("SELECT 1;", StandardCharsets.UTF_8));

            String back = s3.getObjectAsBytes(b -> b.bucket("meridian-eu-west-1").key("backups/2026/dump.sql"))
                    .asString(StandardCharsets.UTF_8);

            assertThat(back).isEqualTo("SELECT 1;");
        }
    }

    @Test
    void aWrongSecretIsForbidden() {
        try (S3Client s3 = client("not-the-secret-" + "x".repeat(25))) {
            assertThatThrownBy(() -> s3.listObjectsV2(b -> b.bucket("meridian-us-east-1")))
                    .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    @Test
    void credentialsAreKeptForTheNextStart() {
        assertThat(S3Server.Credentials.loadOrCreate(dir)).isEqualTo(server.credentials());
        assertThat(server.credentials().accessKeyId()).hasSize(20).startsWith("MERIDIAN");
    }

    private static S3Client client(String secret) {
        return S3Client.builder()
                .endpointOverride(URI.create(server.endpoint().toString()))
                .forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(server.credentials().accessKeyId(), secret)))
                .build();
    }
}
