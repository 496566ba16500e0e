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
 * upload of one object ({@code OBJECT}), or part objects of a few consecutive parts each ({@code PARTS}, {@link Manifest#partObjectKey}), which need no
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
    /** Parts per object ({@code PARTS}; 1 for a multipart upload, where each part is a part of the one object). */
    private final int partsPerObject;
    /** The multipart upload's id; null for part objects. */
    private final @Nullable String uploadId;
    private final BlockingQueue<byte[]> free;
    /** Buffers that may still be allocated (lazily: a small object needs one). */
    private int unallocated;
    private final ExecutorService uploader = Executors.newVirtualThreadPerTaskExecutor();
    /** One per object (or per part of a multipart upload): its parts once uploaded. */
    private final List<Future<List<PartDone>>> parts = new ArrayList<>();
    /** Full parts waiting for the rest of their object. */
    private final List<Uploaded> gathering = new ArrayList<>();
    /** Part objects submitted. */
    private int objects;
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

    /** A part: its number and bytes (waiting for the rest of its object, or uploaded and waiting for the lanes). */
    private record Uploaded(int number, byte[] data, int length) {
    }

    private StreamedUpload(S3Client s3, String bucket, String key, int partSize, int buffers, TransitChecksum transitChecksum,
            ObjectLayout layout, int partsPerObject, boolean sse, @Nullable String uploadId, PartDigests.@Nullable Engine lanes) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.partSize = partSize;
        this.transitChecksum = transitChecksum;
        this.layout = layout;
        this.partsPerObject = layout == ObjectLayout.PARTS ? partsPerObject : 1;
        this.sse = sse;
        this.uploadId = uploadId;
        this.lanes = transitChecksum == TransitChecksum.SHA256 ? null : lanes;
        // with lanes, up to lanes - 1 uploaded parts wait for their hash besides the buffers that cycle; an object of several
        // parts holds them all until it is stored, so that many more fill meanwhile
        int total = Math.max(buffers, 2 * this.partsPerObject) + (this.lanes == null ? 0 : this.lanes.lanes());
        this.free = new ArrayBlockingQueue<>(total);
        this.unallocated = total - 1;
        this.buffer = new byte[partSize];
    }

    /**
     * Starts an upload of {@code key} in {@code bucket} laid out as {@code layout}, with {@code partsPerObject} consecutive
     * parts in each part object ({@code PARTS}; ignored otherwise).
     */
    static StreamedUpload start(S3Client s3, String bucket, String key, int partSize, int buffers, boolean sse,
            TransitChecksum transitChecksum, ObjectLayout layout, int partsPerObject) {
        return start(s3, bucket, key, partSize, buffers, sse, transitChecksum, layout, partsPerObject, PartDigests.lanes());
    }

    /** As {@link #start(S3Client, String, String, int, int, boolean, TransitChecksum, ObjectLayout, int)}, hashing with
     *  {@code lanes} (or, when null, each part with the JDK's SHA-256 before it is sent). */
    static StreamedUpload start(S3Client s3, String bucket, String key, int partSize, int buffers, boolean sse,
            TransitChecksum transitChecksum, ObjectLayout layout, int partsPerObject, PartDigests.@Nullable Engine lanes) {
        if (partsPerObject < 1) {
            throw new IllegalArgumentException("parts per object must be at least 1, not " + partsPerObject);
        }
        if (layout == ObjectLayout.PARTS) {
            return new StreamedUpload(s3, bucket, key, partSize, Math.max(2, buffers), transitChecksum, layout, partsPerObject, sse, null,
                    lanes);
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
        return new StreamedUpload(s3, bucket, key, partSize, Math.max(2, buffers), transitChecksum, layout, 1, sse, id, lanes);
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

    /** The filled buffer is a part: it waits for the rest of its object, which is sent once complete. */
    private void submitPart() throws IOException {
        gathering.add(new Uploaded(++partNumber, buffer, position));
        total += position;
        if (gathering.size() == partsPerObject) {
            submitObject();
        }
        failFast();
        buffer = nextBuffer();
        position = 0;
    }

    /**
     * Sends the gathered parts as one request on an upload thread: a part of the multipart upload, or one part object
     * holding them in order. Their buffers then go back to the pool (or, with lanes, wait for their hash).
     */
    private void submitObject() {
        List<Uploaded> members = List.copyOf(gathering);
        gathering.clear();
        int object = ++objects;
        boolean laterInLanes = lanes != null;
        parts.add(uploader.submit(() -> {
            boolean kept = false;
            try {
                List<PartDone> done = new ArrayList<>(members.size());
                String partBase64 = null;
                for (Uploaded part : members) {
                    String sha256 = null;
                    if (!laterInLanes) {
                        MessageDigest partDigest = Hex.sha256();
                        partDigest.update(part.data(), 0, part.length());
                        byte[] digest = partDigest.digest();
                        sha256 = Hex.hex(digest);
                        partBase64 = Base64.getEncoder().encodeToString(digest);
                    }
                    done.add(new PartDone(part.number(), part.length(), sha256, null));
                }
                long length = 0;
                for (Uploaded part : members) {
                    length += part.length();
                }
                String md5 = null;
                String sha256Base64 = null;
                if (transitChecksum == TransitChecksum.MD5) {
                    md5 = Base64.getEncoder().encodeToString(digest(md5(), members));
                } else if (transitChecksum == TransitChecksum.SHA256) {
                    // a part's own digest, or (an object of several parts) that object's
                    sha256Base64 = members.size() == 1 ? partBase64 : Base64.getEncoder().encodeToString(digest(Hex.sha256(), members));
                }
                RequestBody body = RequestBody.fromContentProvider(() -> stream(members), length, "application/octet-stream");
                if (layout == ObjectLayout.PARTS) {
                    PutObjectRequest.Builder request = PutObjectRequest.builder().bucket(bucket).key(Manifest.partObjectKey(key, object))
                            .contentType("application/octet-stream").contentLength(length).contentMD5(md5).checksumSHA256(sha256Base64);
                    if (sse) {
                        request.serverSideEncryption(ServerSideEncryption.AES256);
                    }
                    s3.putObject(request.build(), body);
                } else {
                    int number = members.getFirst().number();
                    UploadPartResponse response = s3.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                            .partNumber(number).contentLength(length).contentMD5(md5).checksumSHA256(sha256Base64).build(), body);
                    done.set(0, new PartDone(number, (int) length, done.getFirst().sha256(),
                            CompletedPart.builder().partNumber(number).eTag(response.eTag()).checksumSHA256(sha256Base64).build()));
                }
                if (laterInLanes) {
                    kept = true;
                    for (Uploaded part : members) {
                        uploaded(part);
                    }
                }
                return done;
            } finally {
                if (!kept) {
                    for (Uploaded part : members) {
                        free.put(part.data());
                    }
                }
            }
        }));
    }

    private static byte[] digest(MessageDigest digest, List<Uploaded> parts) {
        for (Uploaded part : parts) {
            digest.update(part.data(), 0, part.length());
        }
        return digest.digest();
    }

    private static java.io.InputStream stream(List<Uploaded> parts) {
        if (parts.size() == 1) {
            return new ByteArrayInputStream(parts.getFirst().data(), 0, parts.getFirst().length());
        }
        return new java.io.SequenceInputStream(java.util.Collections.enumeration(
                parts.stream().map(p -> (java.io.InputStream) new ByteArrayInputStream(p.data(), 0, p.length())).toList()));
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
        for (Future<List<PartDone>> part : parts) {
            if (part.isDone()) {
                join(part);
            }
        }
    }

    private static List<PartDone> join(Future<List<PartDone>> part) throws IOException {
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
            gathering.add(new Uploaded(++partNumber, buffer, position));
            total += position;
        }
        if (!gathering.isEmpty()) {
            submitObject();
        }
        long waiting = System.nanoTime();
        List<PartDone> done = new ArrayList<>();
        for (Future<List<PartDone>> part : parts) {
            done.addAll(join(part));
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
                bucket, key, layout == ObjectLayout.PARTS ? " as " + objects + " part objects" : "", total, done.size(),
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
            for (int object = 1; object <= objects; object++) {
                String part = Manifest.partObjectKey(key, object);
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
