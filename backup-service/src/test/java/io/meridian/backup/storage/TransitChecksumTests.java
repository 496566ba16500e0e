package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.meridian.backup.config.BackupProperties.ObjectLayout;
import io.meridian.backup.config.BackupProperties.TransitChecksum;
import io.meridian.stack.Ports;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The transit checksum every uploaded part carries, against a real s3proxy (which checks
 * {@code Content-MD5} and {@code x-amz-checksum-sha256} and rejects a mismatch): what each setting
 * sends, and that the object arrives whole either way.
 */
class TransitChecksumTests {

    private static final String KEY_ID = "TRANSITTESTACCESSKEY";
    private static final String SECRET = "transit-test-secret-key-0123456789";
    private static final int PART = 5 * 1024 * 1024;
    /** Parts per part object in the {@code PARTS} layout. */
    private static final int PER_OBJECT = 2;

    @TempDir
    static java.nio.file.Path blobs;

    private static S3Proxy proxy;
    private static URI endpoint;

    @BeforeAll
    static void start() throws Exception {
        FilesystemNio2BlobStore store = new FilesystemNio2BlobStore(blobs.toString());
        endpoint = URI.create("http://127.0.0.1:" + Ports.freePort());
        proxy = S3Proxy.builder().blobStore(store).endpoint(endpoint).awsAuthentication(AuthenticationType.AWS_V2_OR_V4, KEY_ID, SECRET)
                .build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState()) && !"FAILED".equals(proxy.getState())) {
            Thread.onSpinWait();
        }
        store.createContainer("transit");
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.stop();
    }

    /** The headers of every UploadPart request, and of every PutObject of a part object. */
    private static final class PartHeaders implements ExecutionInterceptor {
        final List<Map<String, List<String>>> parts = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            SdkHttpRequest request = context.httpRequest();
            if (request.rawQueryParameters().containsKey("partNumber")
                    || request.method() == software.amazon.awssdk.http.SdkHttpMethod.PUT && request.encodedPath().contains(".parts/")) {
                parts.add(request.headers());
            }
        }
    }

    private static S3Client client(PartHeaders headers) {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(KEY_ID, SECRET)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.addExecutionInterceptor(headers)).build();
    }

    private static byte[] upload(S3Client s3, String key, TransitChecksum checksum, ObjectLayout layout, byte[] data) throws Exception {
        StreamedUpload upload = StreamedUpload.start(s3, "transit", key, PART, 3, false, checksum, layout, PER_OBJECT);
        upload.write(data, 0, data.length);
        UploadResult result = upload.complete();
        assertThat(result.size()).isEqualTo(data.length);
        if (layout == ObjectLayout.OBJECT) {
            return s3.getObjectAsBytes(b -> b.bucket("transit").key(key)).asByteArray();
        }
        int objects = (result.parts().size() + PER_OBJECT - 1) / PER_OBJECT;
        assertThat(s3.listObjectsV2(b -> b.bucket("transit").prefix(key)).contents()).as("no object but the part objects")
                .extracting(o -> o.key()).allMatch(k -> k.startsWith(Manifest.partsPrefix(key))).hasSize(objects);
        java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
        for (int object = 1; object <= objects; object++) {
            String part = Manifest.partObjectKey(key, object);
            whole.write(s3.getObjectAsBytes(b -> b.bucket("transit").key(part)).asByteArray());
        }
        return whole.toByteArray();
    }

    private static String header(Map<String, List<String>> headers, String name) {
        return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().getFirst()).findFirst()
                .orElse(null);
    }

    @ParameterizedTest
    @EnumSource(ObjectLayout.class)
    void eachPartCarriesTheChecksumTheSettingAsksFor(ObjectLayout layout) throws Exception {
        byte[] data = new byte[2 * PART + 1234];
        new Random(11).nextBytes(data);
        // a multipart upload sends three parts; part objects are two (parts 1-2 and part 3), each with its own checksum
        int requests = layout == ObjectLayout.OBJECT ? 3 : 2;
        byte[] first = java.util.Arrays.copyOfRange(data, 0, layout == ObjectLayout.OBJECT ? PART : PER_OBJECT * PART);
        String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(first));
        String sha256 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(first));

        for (TransitChecksum checksum : TransitChecksum.values()) {
            PartHeaders headers = new PartHeaders();
            try (S3Client s3 = client(headers)) {
                assertThat(upload(s3, layout + "-object-" + checksum, checksum, layout, data)).as("stored whole with %s", checksum)
                        .isEqualTo(data);
            }
            assertThat(headers.parts).as(checksum.name()).hasSize(requests);
            switch (checksum) {
                case MD5 -> {
                    assertThat(headers.parts).allSatisfy(h -> assertThat(header(h, "Content-MD5")).isNotNull());
                    assertThat(headers.parts).anySatisfy(h -> assertThat(header(h, "Content-MD5")).isEqualTo(md5));
                    assertThat(headers.parts).allSatisfy(h -> assertThat(header(h, "x-amz-checksum-sha256")).isNull());
                }
                case SHA256 -> {
                    assertThat(headers.parts).anySatisfy(h -> assertThat(header(h, "x-amz-checksum-sha256")).isEqualTo(sha256));
                    assertThat(headers.parts).allSatisfy(h -> assertThat(header(h, "Content-MD5")).isNull());
                }
                case NONE -> assertThat(headers.parts).allSatisfy(h -> {
                    assertThat(header(h, "Content-MD5")).isNull();
                    assertThat(header(h, "x-amz-checksum-sha256")).isNull();
                });
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lanes", "jdk"})
    void partDigestsAreTheSha256OfEachStoredPartWhetherHashedInLanesOrOneAtATime(String engine) throws Exception {
        // 17 full parts and a short one: two vectors' worth hashed while uploading, one full part and the short one at the end
        byte[] data = new byte[17 * PART + 4321];
        new Random(17).nextBytes(data);
        PartHeaders headers = new PartHeaders();
        UploadResult result;
        try (S3Client s3 = client(headers)) {
            StreamedUpload upload = StreamedUpload.start(s3, "transit", "lanes-" + engine, PART, 3, false, TransitChecksum.MD5,
                    ObjectLayout.OBJECT, 1, engine.equals("lanes") ? new Sha256Lanes() : null);
            // written in odd-sized pieces, as a pipe delivers them
            for (int offset = 0; offset < data.length; offset += 65_521) {
                upload.write(data, offset, Math.min(65_521, data.length - offset));
            }
            result = upload.complete();
            assertThat(s3.getObjectAsBytes(b -> b.bucket("transit").key("lanes-" + engine)).asByteArray()).isEqualTo(data);
        }
        assertThat(result.parts()).hasSize(18);
        for (Manifest.Part part : result.parts()) {
            int from = (part.number() - 1) * PART;
            int to = Math.min(data.length, from + PART);
            assertThat(part.size()).isEqualTo(to - from);
            assertThat(part.sha256()).as("part %d", part.number()).isEqualTo(Hex.sha256(java.util.Arrays.copyOfRange(data, from, to)));
        }
        assertThat(result.sha256()).isEqualTo(Checksums.compositeOf(result.parts()));
        assertThat(headers.parts).hasSize(18).allSatisfy(h -> assertThat(header(h, "Content-MD5")).isNotNull());
    }

    @Test
    void abortingAnUploadOfPartObjectsDeletesThePartsWritten() throws Exception {
        byte[] data = new byte[3 * PART + 99];
        new Random(23).nextBytes(data);
        try (S3Client s3 = client(new PartHeaders())) {
            StreamedUpload upload = StreamedUpload.start(s3, "transit", "aborted", PART, 3, false, TransitChecksum.MD5, ObjectLayout.PARTS,
                    PER_OBJECT);
            upload.write(data, 0, data.length); // parts 1-2 sent as an object, part 3 waiting for part 4, part 4 still filling
            upload.abort();
            assertThat(s3.listObjectsV2(b -> b.bucket("transit").prefix("aborted")).contents()).isEmpty();
        }
    }
}
