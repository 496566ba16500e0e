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
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.meridian.backup.config.BackupProperties.ObjectLayout;
import io.meridian.backup.config.BackupProperties.TransitChecksum;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * An {@link OutputStream} that streams into a bucket in parts, in one of two {@link ObjectLayout layouts}: an S3 multipart
 * upload of one object ({@code OBJECT}), or one object per part ({@code PARTS}, {@link Manifest#partKey}), which needs no
 * assembly at the end: S3-compatible servers that keep objects in files (s3proxy, MinIO on a file system) complete a
 * multipart upload by writing every byte once more, which for a 2.2 GB base backup took longer than pg_basebackup itself.
 * Either way bytes fill a part buffer; a full buffer is
 * uploaded on its own thread while the next one fills, so the producer (pg_dump,
 * pg_basebackup) never waits for the network unless every buffer is in flight. Nothing touches the
 * disk and the heap holds at most {@code buffers} parts (plus a vector's worth, see below). Each part travels with a
 * transit checksum ({@code Content-MD5} by default, or its SHA-256 in {@code x-amz-checksum-sha256}), so the server
 * rejects a part damaged on the way. Each byte is hashed with SHA-256 once; the object's checksum is the composite of the
 * part digests ({@link Checksums}), as S3 computes it for multipart uploads. Call {@link #complete()} at the end, or
 * {@link #abort()} on failure. A multipart upload shows no object before it completes; part objects are visible as they
 * are written, but nothing reads them before the manifest names them, and an abort deletes them (as does the recovery of
 * a run that died, which clears the backup's whole prefix).
 *
 * <p>The SHA-256 of a part is only needed for the manifest (unless it is the transit checksum), so with
 * {@link PartDigests#lanes() vector lanes} a part is uploaded at once and its buffer kept until a vector's worth of
 * uploaded parts (8) is in; those are hashed together, about four times cheaper per byte than one at a time, and their
 * buffers reused. That takes CPU away from the producer's cores (pg_dump compresses on one of them), at the cost of up
 * to 8 more part buffers on the heap (allocated only when an object has that many parts). Without lanes, or with the
 * SHA-256 transit checksum, each part is hashed with the JDK's SHA-256 on its upload thread before it is sent.
 */
public final class StreamedUpload extends OutputStream {

    private static final Logger log = LoggerFactory.getLogger(StreamedUpload.class);

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final int partSize;
    private final TransitChecksum transitChecksum;
    private final ObjectLayout layout;
    private final boolean sse;
    /** The multipart upload's id; null for part objects. */
    private final @Nullable String uploadId;
    private final BlockingQueue<byte[]> free;
    /** Buffers that may still be allocated (lazily: a small object needs one). */
    private int unallocated;
    private final ExecutorService uploader = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Future<PartDone>> parts = new ArrayList<>();
    /** Hashes uploaded parts several at a time, or null when each part is hashed before its upload. */
    private final PartDigests.@Nullable Engine lanes;
    /** Uploaded parts waiting for their SHA-256 in lanes (their buffers are not reused before). */
    private final List<Uploaded> unhashed = new ArrayList<>();
    /** SHA-256 of each part hashed in lanes, by part number. */
    private final Map<Integer, String> laneDigests = new ConcurrentHashMap<>();
    private byte[] buffer;
    private int position;
    private int partNumber;
    private long total;
    private boolean finished;

    /** An uploaded part; {@code sha256} is null when it is hashed in lanes, {@code completed} for part objects. */
    private record PartDone(int number, int size, @Nullable String sha256, @Nullable CompletedPart completed) {
    }

    /** An uploaded part whose buffer waits for the lanes. */
    private record Uploaded(int number, byte[] data, int length) {
    }

    private StreamedUpload(S3Client s3, String bucket, String key, int partSize, int buffers, TransitChecksum transitChecksum,
            ObjectLayout layout, boolean sse, @Nullable String uploadId, PartDigests.@Nullable Engine lanes) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.partSize = partSize;
        this.transitChecksum = transitChecksum;
        this.layout = layout;
        this.sse = sse;
        this.uploadId = uploadId;
        this.lanes = transitChecksum == TransitChecksum.SHA256 ? null : lanes;
        // with lanes, up to lanes - 1 uploaded parts wait for their hash besides the buffers that cycle
        int total = buffers + (this.lanes == null ? 0 : this.lanes.lanes());
        this.free = new ArrayBlockingQueue<>(total);
        this.unallocated = total - 1;
        this.buffer = new byte[partSize];
    }

    /** Starts an upload of {@code key} in {@code bucket} laid out as {@code layout}. */
    static StreamedUpload start(S3Client s3, String bucket, String key, int partSize, int buffers, boolean sse,
            TransitChecksum transitChecksum, ObjectLayout layout) {
        return start(s3, bucket, key, partSize, buffers, sse, transitChecksum, layout, PartDigests.lanes());
    }

    /** As {@link #start(S3Client, String, String, int, int, boolean, TransitChecksum, ObjectLayout)}, hashing with {@code lanes}
     *  (or, when null, each part with the JDK's SHA-256 before it is sent). */
    static StreamedUpload start(S3Client s3, String bucket, String key, int partSize, int buffers, boolean sse,
            TransitChecksum transitChecksum, ObjectLayout layout, PartDigests.@Nullable Engine lanes) {
        if (layout == ObjectLayout.PARTS) {
            return new StreamedUpload(s3, bucket, key, partSize, Math.max(2, buffers), transitChecksum, layout, sse, null, lanes);
        }
        CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                .contentType("application/octet-stream");
        if (sse) {
            request.serverSideEncryption(ServerSideEncryption.AES256);
        }
        if (transitChecksum == TransitChecksum.SHA256) {
            request.checksumAlgorithm(ChecksumAlgorithm.SHA256);
        }
        String id = s3.createMultipartUpload(request.build()).uploadId();
        return new StreamedUpload(s3, bucket, key, partSize, Math.max(2, buffers), transitChecksum, layout, sse, id, lanes);
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

    /**
     * The S3 multipart upload id (persisted with a run, so that whoever finds the run interrupted can abort it); null for
     * part objects, which such a one deletes with the rest of the backup's prefix.
     */
    public @Nullable String uploadId() {
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
        boolean laterInLanes = lanes != null;
        parts.add(uploader.submit(() -> {
            boolean keep = false;
            try {
                String sha256 = null;
                String base64 = null;
                if (!laterInLanes) {
                    MessageDigest partDigest = Hex.sha256();
                    partDigest.update(data, 0, length);
                    byte[] digest = partDigest.digest();
                    sha256 = Hex.hex(digest);
                    base64 = Base64.getEncoder().encodeToString(digest);
                }
                String md5 = null;
                if (transitChecksum == TransitChecksum.MD5) {
                    MessageDigest digest = md5();
                    digest.update(data, 0, length);
                    md5 = Base64.getEncoder().encodeToString(digest.digest());
                }
                RequestBody body = RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length,
                        "application/octet-stream");
                CompletedPart completed = null;
                if (layout == ObjectLayout.PARTS) {
                    PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(Manifest.partKey(key, number))
                            .contentType("application/octet-stream").contentLength((long) length).contentMD5(md5);
                    if (transitChecksum == TransitChecksum.SHA256) {
                        request.checksumSHA256(base64);
                    }
                    if (sse) {
                        request.serverSideEncryption(ServerSideEncryption.AES256);
                    }
                    s3.putObject(request.build(), body);
                } else {
                    UploadPartRequest.Builder request = UploadPartRequest.builder().bucket(bucket).key(key)
                            .uploadId(uploadId).partNumber(number).contentLength((long) length).contentMD5(md5);
                    if (transitChecksum == TransitChecksum.SHA256) {
                        request.checksumSHA256(base64);
                    }
                    UploadPartResponse response = s3.uploadPart(request.build(), body);
                    CompletedPart.Builder part = CompletedPart.builder().partNumber(number).eTag(response.eTag());
                    if (transitChecksum == TransitChecksum.SHA256) {
                        part.checksumSHA256(base64);
                    }
                    completed = part.build();
                }
                if (laterInLanes) {
                    keep = true;
                    uploaded(new Uploaded(number, data, length));
                }
                return new PartDone(number, length, sha256, completed);
            } finally {
                if (!keep) {
                    free.put(data);
                }
            }
        }));
        failFast();
        buffer = nextBuffer();
        position = 0;
    }

    private byte[] nextBuffer() throws IOException {
        byte[] next = free.poll();
        if (next != null) {
            return next;
        }
        synchronized (this) {
            if (unallocated > 0) {
                unallocated--;
                return new byte[partSize];
            }
        }
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a free part buffer");
        }
    }

    /**
     * Called on an upload thread once a part is stored: when a vector's worth of uploaded parts waits, hashes them together
     * here and frees their buffers.
     */
    private void uploaded(Uploaded part) throws InterruptedException {
        List<Uploaded> batch;
        synchronized (unhashed) {
            unhashed.add(part);
            if (unhashed.size() < lanes.lanes()) {
                return;
            }
            batch = new ArrayList<>(unhashed);
            unhashed.clear();
        }
        hash(batch);
    }

    /** Hashes parts of equal length in lanes (a run of one or two, where most lanes would idle, with MessageDigest). */
    private void hash(List<Uploaded> batch) throws InterruptedException {
        batch.sort(Comparator.comparingInt(Uploaded::length));
        int i = 0;
        while (i < batch.size()) {
            int run = 1;
            while (i + run < batch.size() && batch.get(i + run).length() == batch.get(i).length()) {
                run++;
            }
            byte[][] messages = new byte[run][];
            for (int k = 0; k < run; k++) {
                messages[k] = batch.get(i + k).data();
            }
            String[] digests = PartDigests.sha256Hex(lanes, messages, run, batch.get(i).length());
            for (int k = 0; k < run; k++) {
                laneDigests.put(batch.get(i + k).number(), digests[k]);
            }
            i += run;
        }
        for (Uploaded u : batch) {
            free.put(u.data());
        }
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
        long waiting = System.nanoTime();
        List<PartDone> done = new ArrayList<>();
        for (Future<PartDone> part : parts) {
            done.add(join(part));
        }
        if (lanes != null) {
            // every upload is done: the parts that did not make a full vector are hashed here
            List<Uploaded> rest;
            synchronized (unhashed) {
                rest = new ArrayList<>(unhashed);
                unhashed.clear();
            }
            try {
                hash(rest);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while hashing the last parts");
            }
        }
        done.sort(Comparator.comparingInt(PartDone::number));
        long completing = System.nanoTime();
        if (layout == ObjectLayout.OBJECT) {
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(done.stream().map(PartDone::completed).toList())));
        }
        finished = true;
        // where an upload's end goes: the parts still in flight (and hashed) after the stream ended, then the server
        // assembling the object, which some S3 implementations do by copying every byte once more
        log.info("Uploaded {}/{}{}: {} bytes in {} parts; after the last byte, {} ms for the parts in flight, {} ms to complete",
                bucket, key, layout == ObjectLayout.PARTS ? " as part objects" : "", total, done.size(),
                (completing - waiting) / 1_000_000, (System.nanoTime() - completing) / 1_000_000);
        uploader.shutdown();
        List<Manifest.Part> uploaded = new ArrayList<>(done.size());
        for (PartDone p : done) {
            String sha256 = p.sha256() != null ? p.sha256() : laneDigests.get(p.number());
            if (sha256 == null) {
                throw new IllegalStateException("part " + p.number() + " of " + key + " was uploaded but not hashed");
            }
            uploaded.add(new Manifest.Part(p.number(), p.size(), sha256));
        }
        return new UploadResult(total, Checksums.compositeOf(uploaded), uploaded);
    }

    /**
     * Abandons the upload: the parts are discarded and no object appears. Part objects already written are deleted once
     * the uploads in flight have stopped (one that cannot be deleted now goes with the backup's prefix when the run is
     * recovered or deleted).
     */
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        uploader.shutdownNow();
        if (layout == ObjectLayout.PARTS) {
            try {
                if (!uploader.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS)) {
                    log.warn("Part uploads of {}/{} still running 30 s after the abort", bucket, key);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int number = 1; number <= partNumber; number++) {
                String part = Manifest.partKey(key, number);
                try {
                    s3.deleteObject(b -> b.bucket(bucket).key(part));
                } catch (RuntimeException e) {
                    log.warn("Could not delete the part object {}/{}: {}", bucket, part, e.toString());
                }
            }
            return;
        }
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
