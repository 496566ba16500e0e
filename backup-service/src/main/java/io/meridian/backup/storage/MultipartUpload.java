package io.meridian.backup.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.backup.config.BackupProperties.TransitChecksum;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An {@link OutputStream} that is an S3 multipart upload: bytes fill a part buffer; a full buffer is
 * hashed (SHA-256) and uploaded on its own thread while the next one fills, so the producer (pg_dump,
 * pg_basebackup) never waits for the network unless every buffer is in flight. Nothing touches the
 * disk and the heap holds at most {@code buffers} parts. Each part travels with a transit checksum
 * ({@code Content-MD5} by default, or its SHA-256 in {@code x-amz-checksum-sha256}), so the server
 * rejects a part damaged on the way. Each
 * byte is hashed once, on its part's upload thread; the object's checksum is the composite of the
 * part digests ({@link Checksums}), as S3 computes it for multipart uploads. Call {@link #complete()} at the end, or
 * {@link #abort()} on failure (no half object is ever visible: S3 shows it only once completed).
 */
public final class MultipartUpload extends OutputStream {

    private static final Logger log = LoggerFactory.getLogger(MultipartUpload.class);

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final int partSize;
    private final TransitChecksum transitChecksum;
    private final String uploadId;
    private final BlockingQueue<byte[]> free;
    private final ExecutorService uploader = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Future<PartDone>> parts = new ArrayList<>();
    private byte[] buffer;
    private int position;
    private int partNumber;
    private long total;
    private boolean finished;

    private record PartDone(Manifest.Part part, CompletedPart completed) {
    }

    private MultipartUpload(S3Client s3, String bucket, String key, int partSize, int buffers, TransitChecksum transitChecksum,
            String uploadId) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.partSize = partSize;
        this.transitChecksum = transitChecksum;
        this.uploadId = uploadId;
        this.free = new ArrayBlockingQueue<>(buffers);
        for (int i = 1; i < buffers; i++) {
            free.add(new byte[partSize]);
        }
        this.buffer = new byte[partSize];
    }

    /** Starts a multipart upload of {@code key} in {@code bucket}. */
    static MultipartUpload start(S3Client s3, String bucket, String key, int partSize, int buffers, boolean sse,
            TransitChecksum transitChecksum) {
        CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                .contentType("application/octet-stream");
        if (sse) {
            request.serverSideEncryption(ServerSideEncryption.AES256);
        }
        if (transitChecksum == TransitChecksum.SHA256) {
            request.checksumAlgorithm(ChecksumAlgorithm.SHA256);
        }
        String id = s3.createMultipartUpload(request.build()).uploadId();
        return new MultipartUpload(s3, bucket, key, partSize, Math.max(2, buffers), transitChecksum, id);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        if (finished) {
            throw new IOException("upload of " + key + " is finished");
        }
        while (length > 0) {
            int n = Math.min(length, partSize - position);
            System.arraycopy(data, offset, buffer, position, n);
            position += n;
            offset += n;
            length -= n;
            if (position == partSize) {
                submitPart();
            }
        }
    }

    /** The S3 upload id (persisted with a run, so that whoever finds the run interrupted can abort it). */
    public String uploadId() {
        return uploadId;
    }

    /** The bucket uploaded to. */
    public String bucket() {
        return bucket;
    }

    /** The key uploaded to. */
    public String key() {
        return key;
    }

    /** Bytes written so far. */
    public long bytesWritten() {
        return total + position;
    }

    private void submitPart() throws IOException {
        byte[] data = buffer;
        int length = position;
        int number = ++partNumber;
        total += length;
        parts.add(uploader.submit(() -> {
            try {
                MessageDigest partDigest = Hex.sha256();
                partDigest.update(data, 0, length);
                byte[] digest = partDigest.digest();
                String base64 = Base64.getEncoder().encodeToString(digest);
                UploadPartRequest.Builder request = UploadPartRequest.builder().bucket(bucket).key(key)
                        .uploadId(uploadId).partNumber(number).contentLength((long) length);
                switch (transitChecksum) {
                    case SHA256 -> request.checksumSHA256(base64);
                    case MD5 -> {
                        MessageDigest md5 = md5();
                        md5.update(data, 0, length);
                        request.contentMD5(Base64.getEncoder().encodeToString(md5.digest()));
                    }
                    case NONE -> { }
                }
                UploadPartResponse response = s3.uploadPart(request.build(),
                        RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length, "application/octet-stream"));
                CompletedPart.Builder completed = CompletedPart.builder().partNumber(number).eTag(response.eTag());
                if (transitChecksum == TransitChecksum.SHA256) {
                    completed.checksumSHA256(base64);
                }
                return new PartDone(new Manifest.Part(number, length, Hex.hex(digest)), completed.build());
            } finally {
                free.put(data);
            }
        }));
        failFast();
        try {
            buffer = free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a free part buffer");
        }
        position = 0;
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is not available", e);
        }
    }

    private void failFast() throws IOException {
        for (Future<PartDone> part : parts) {
            if (part.isDone()) {
                join(part);
            }
        }
    }

    private static PartDone join(Future<PartDone> part) throws IOException {
        try {
            return part.get();
        } catch (ExecutionException e) {
            throw new IOException("part upload failed: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading");
        }
    }

    /** Uploads the last part, waits for every part and completes the upload; the object is visible afterwards. */
    public UploadResult complete() throws IOException {
        if (finished) {
            throw new IOException("upload of " + key + " is finished");
        }
        if (position > 0 || partNumber == 0) {
            submitPart();
        }
        List<PartDone> done = new ArrayList<>();
        for (Future<PartDone> part : parts) {
            done.add(join(part));
        }
        done.sort(Comparator.comparingInt(p -> p.part().number()));
        s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                .multipartUpload(m -> m.parts(done.stream().map(PartDone::completed).toList())));
        finished = true;
        uploader.shutdown();
        List<Manifest.Part> uploaded = done.stream().map(PartDone::part).toList();
        return new UploadResult(total, Checksums.compositeOf(uploaded), uploaded);
    }

    /** Abandons the upload: the parts are discarded and no object appears. */
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        uploader.shutdownNow();
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (RuntimeException e) {
            log.warn("Could not abort the multipart upload of {}/{}: {}", bucket, key, e.toString());
        }
    }

    /** Same as {@link #abort()} unless completed: closing never publishes a half object. */
    @Override
    public void close() {
        abort();
    }
}
