package io.meridian.backup.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import io.meridian.backup.config.BackupProperties;
import io.meridian.backup.config.BackupProperties.ObjectLayout;
import io.meridian.backup.config.BackupProperties.RegionSettings;
import io.meridian.backup.topology.RegionTopology;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * Each region's bucket through the AWS SDK v2 S3 client (one client per endpoint). The SDK's own
 * request checksums are off: every part carries the SHA-256 this service computes anyway.
 */
@Component
public class ObjectStore implements DisposableBean {

    private final BackupProperties properties;
    private final RegionTopology topology;
    private final Map<URI, S3Client> clients = new ConcurrentHashMap<>();
    private final AwsCredentialsProvider credentials;

    public ObjectStore(BackupProperties properties, RegionTopology topology) {
        this.properties = properties;
        this.topology = topology;
        BackupProperties.S3 s3 = properties.s3();
        this.credentials = s3.accessKeyId() != null && s3.secretAccessKey() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKeyId(), s3.secretAccessKey()))
                : DefaultCredentialsProvider.builder().build();
    }

    private S3Client client(String region) {
        RegionSettings settings = topology.require("region", region);
        URI endpoint = settings.s3Endpoint() != null ? settings.s3Endpoint() : properties.s3().endpoint();
        URI cacheKey = endpoint == null ? URI.create("aws:default") : endpoint;
        return clients.computeIfAbsent(cacheKey, k -> {
            var builder = S3Client.builder().region(Region.of(properties.s3().region())).credentialsProvider(credentials)
                    .forcePathStyle(properties.s3().pathStyle())
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
            if (endpoint != null) {
                builder.endpointOverride(endpoint);
            }
            return builder.build();
        });
    }

    /** The region's bucket. */
    public String bucket(String region) {
        return topology.require("region", region).bucket();
    }

    /** Starts a streamed upload of one object into the region's bucket. */
    public StreamedUpload upload(String region, String key, boolean sse) {
        return upload(region, key, (int) properties.partSize().toBytes(), sse, ObjectLayout.OBJECT, 1);
    }

    /**
     * Starts a streamed upload with parts of {@code partSize} bytes (a copy keeps its source's parts), laid out as
     * {@code layout} with {@code partsPerObject} parts per part object ({@code PARTS}).
     */
    public StreamedUpload upload(String region, String key, int partSize, boolean sse, ObjectLayout layout, int partsPerObject) {
        return StreamedUpload.start(client(region), bucket(region), key, partSize, properties.uploadBuffers(), sse,
                properties.s3().transitChecksum(), layout, partsPerObject);
    }

    /** Stores a small object (a manifest) in one request. */
    public void put(String region, String key, byte[] content, boolean sse) {
        PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket(region)).key(key).contentType("application/json");
        if (sse) {
            request.serverSideEncryption(ServerSideEncryption.AES256);
        }
        client(region).putObject(request.build(), RequestBody.fromBytes(content));
    }

    /** A small object's bytes, or empty if it does not exist. */
    public Optional<byte[]> get(String region, String key) {
        try {
            return Optional.of(client(region).getObjectAsBytes(b -> b.bucket(bucket(region)).key(key)).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /** Opens an object for reading; empty if it does not exist. */
    public Optional<InputStream> open(String region, String key) {
        try {
            return Optional.of(client(region).getObject(b -> b.bucket(bucket(region)).key(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /**
     * Opens bytes {@code first..last} (inclusive) of an object with a ranged GET; empty if the object
     * does not exist. The stream says the object's whole size as the server reported it (from
     * {@code Content-Range}), so a reader of one part still notices an object of the wrong size.
     */
    public Optional<RangeRead> openRange(String region, String key, long first, long last) {
        try {
            var response = client(region).getObject(b -> b.bucket(bucket(region)).key(key).range("bytes=" + first + "-" + last));
            String range = response.response().contentRange();
            long total = -1;
            if (range != null && range.lastIndexOf('/') >= 0) {
                String size = range.substring(range.lastIndexOf('/') + 1).strip();
                total = size.equals("*") ? -1 : Long.parseLong(size);
            }
            Long length = response.response().contentLength();
            return Optional.of(new RangeRead(response, total, length == null ? -1 : length));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        }
    }

    /**
     * An open ranged read.
     *
     * @param stream      the bytes of the range
     * @param objectSize  the whole object's size from {@code Content-Range}, -1 if the server did not say
     * @param length      bytes in this response, -1 if unknown
     */
    public record RangeRead(InputStream stream, long objectSize, long length) {
    }

    /**
     * Reads the part objects {@code 1..count} of {@code objectKey} ({@link ObjectLayout#PARTS}) one after the other as one
     * stream, each opened when the one before it ends. A missing one fails the read with {@link MissingPart}.
     */
    public InputStream openParts(String region, String objectKey, int count) {
        return new SequenceInputStream(new Enumeration<>() {
            private int next = 1;

            @Override
            public boolean hasMoreElements() {
                return next <= count;
            }

            @Override
            public InputStream nextElement() {
                int number = next++;
                String key = Manifest.partObjectKey(objectKey, number);
                return open(region, key).orElseGet(() -> new InputStream() {
                    @Override
                    public int read() throws IOException {
                        throw new MissingPart("part object " + number + " of " + count + " (" + key + ") is missing from " + bucket(region));
                    }
                });
            }
        });
    }

    /** Thrown by a stream of {@link #openParts part objects} when one of them does not exist. */
    public static final class MissingPart extends IOException {
        MissingPart(String message) {
            super(message);
        }
    }

    /** The objects under {@code prefix} with their sizes, in key order. */
    public SortedMap<String, Long> list(String region, String prefix) {
        String bucket = bucket(region);
        SortedMap<String, Long> sizes = new TreeMap<>();
        client(region).listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .filter(o -> o.key().startsWith(prefix)).forEach(o -> sizes.put(o.key(), o.size()));
        return sizes;
    }

    /** The object's size, or empty if it does not exist. */
    public Optional<Long> size(String region, String key) {
        try {
            return Optional.of(client(region).headObject(b -> b.bucket(bucket(region)).key(key)).contentLength());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Deletes an object (missing is fine). */
    public void delete(String region, String key) {
        client(region).deleteObject(b -> b.bucket(bucket(region)).key(key));
    }

    /** Deletes a backup's object and its part objects, whichever its layout (missing is fine). */
    public void deleteBackupObject(String region, String objectKey) {
        delete(region, objectKey);
        deletePrefix(region, Manifest.partsPrefix(objectKey));
    }

    /**
     * Aborts the multipart uploads under {@code prefix} that were never completed (a run that died
     * mid-upload leaves its parts there, invisible and billed, until aborted); returns the keys.
     */
    public List<String> abortIncompleteUploads(String region, String prefix) {
        List<String> aborted = new ArrayList<>();
        for (software.amazon.awssdk.services.s3.model.MultipartUpload upload : uploads(region, prefix)) {
            abortUpload(region, upload.key(), upload.uploadId());
            aborted.add(upload.key());
        }
        return aborted;
    }

    /** The keys of the uploads under {@code prefix} that are neither completed nor aborted. */
    public List<String> incompleteUploads(String region, String prefix) {
        return uploads(region, prefix).stream().map(software.amazon.awssdk.services.s3.model.MultipartUpload::key).toList();
    }

    private List<software.amazon.awssdk.services.s3.model.MultipartUpload> uploads(String region, String prefix) {
        String bucket = bucket(region);
        return client(region).listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads().stream()
                .filter(u -> u.key().startsWith(prefix)).toList();
    }

    /** Aborts one multipart upload; whether it was still there. */
    public boolean abortUpload(String region, String key, String uploadId) {
        try {
            client(region).abortMultipartUpload(b -> b.bucket(bucket(region)).key(key).uploadId(uploadId));
            return true;
        } catch (NoSuchUploadException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    /** Deletes every object under {@code prefix}; returns the keys deleted. */
    public List<String> deletePrefix(String region, String prefix) {
        S3Client client = client(region);
        String bucket = bucket(region);
        List<String> keys = client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().map(S3Object::key)
                .filter(k -> k.startsWith(prefix)).toList();
        keys.forEach(key -> client.deleteObject(b -> b.bucket(bucket).key(key)));
        return keys;
    }

    /**
     * Copies a backup's object (or its part objects) between regions as a stream in parts of its manifest's part size (so the
     * composite checksums compare) and in its layout, re-hashing it on the way; the caller compares the result.
     */
    public UploadResult streamCopy(String fromRegion, String toRegion, Manifest manifest, boolean sse) throws IOException {
        String key = manifest.objectKey();
        ObjectLayout layout = manifest.partObjects() ? ObjectLayout.PARTS : ObjectLayout.OBJECT;
        try (InputStream in = manifest.partObjects() ? openParts(fromRegion, key, manifest.objectCount())
                : open(fromRegion, key).orElseThrow(() -> new IOException("no object " + key + " in " + fromRegion))) {
            StreamedUpload upload = upload(toRegion, key, (int) manifest.partSize(), sse, layout, manifest.partsPerObjectOrOne());
            try {
                in.transferTo(upload);
                return upload.complete();
            } catch (IOException | RuntimeException e) {
                upload.abort();
                throw e;
            }
        }
    }

    @Override
    public void destroy() {
        clients.values().forEach(S3Client::close);
    }
}
