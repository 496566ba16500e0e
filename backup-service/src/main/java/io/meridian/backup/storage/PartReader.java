package io.meridian.backup.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;

import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads an object part by part with several ranged GETs at once and hands every part to a sink
 * <em>only after</em> its size and SHA-256 matched the manifest, in order. So the sink (a tar
 * extraction into a staging directory, a file) never receives a byte that was not checked, and the
 * network, the hashing and the sink's writes overlap instead of running one after the other. At the
 * end the object checksum (format 2: composite of the part digests; format 1: the whole object's
 * SHA-256, computed as the checked parts pass) and the size are compared as {@link ObjectVerifier}
 * does. A part that does not match stops the read at once; the sink then holds only checked parts,
 * and the result says which part failed (the caller discards the sink's output).
 *
 * <p>Heap: {@code (parallel + 1) * partSize} bytes of part buffers.
 */
public final class PartReader {

    private static final int CHUNK = 1 << 16;

    private PartReader() {
    }

    /** A fetched part: its buffer and what it held, or why it failed. */
    private record Fetched(byte[] buffer, int length, @Nullable String digest, @Nullable String problem) {
    }

    /**
     * Reads {@code manifest}'s object from {@code region}'s bucket into {@code sink}, {@code parallel}
     * parts at a time.
     */
    public static ObjectVerifier.Result read(ObjectStore store, String region, Manifest manifest, int parallel, OutputStream sink,
            LongConsumer progress, BooleanSupplier cancelled) throws IOException {
        List<Manifest.Part> parts = manifest.parts();
        int window = Math.max(1, parallel);
        int partSize = (int) Math.max(manifest.partSize(), parts.isEmpty() ? 0 : parts.getLast().size());
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(window + 1);
        for (int i = 0; i <= window; i++) {
            free.add(new byte[partSize]);
        }
        @Nullable MessageDigest whole = manifest.composite() ? null : Hex.sha256();
        List<String> digests = new ArrayList<>(parts.size());
        Deque<Future<Fetched>> inFlight = new ArrayDeque<>();
        long bytes = 0;
        try (ExecutorService fetchers = Executors.newVirtualThreadPerTaskExecutor()) {
            int next = 0;
            try {
                for (int index = 0; index < parts.size(); index++) {
                    while (next < parts.size() && inFlight.size() < window) {
                        Manifest.Part part = parts.get(next);
                        long offset = (long) next * manifest.partSize();
                        byte[] buffer = take(free);
                        inFlight.add(fetchers.submit(() -> fetch(store, region, manifest, part, offset, buffer, cancelled)));
                        next++;
                    }
                    if (cancelled.getAsBoolean()) {
                        throw new ObjectVerifier.Cancelled();
                    }
                    Manifest.Part expected = parts.get(index);
                    Fetched fetched = join(inFlight.removeFirst());
                    if (fetched.problem() != null) {
                        return new ObjectVerifier.Result(false, fetched.problem(), bytes);
                    }
                    if (!expected.sha256().equals(fetched.digest())) {
                        return new ObjectVerifier.Result(false, "part " + expected.number() + " of " + parts.size() + " (bytes " + bytes + "-"
                                + (bytes + expected.size() - 1) + ") has SHA-256 " + fetched.digest() + ", the manifest says " + expected.sha256(),
                                bytes + fetched.length());
                    }
                    if (whole != null) {
                        whole.update(fetched.buffer(), 0, fetched.length());
                    }
                    sink.write(fetched.buffer(), 0, fetched.length());
                    free.add(fetched.buffer());
                    digests.add(fetched.digest());
                    bytes += fetched.length();
                    progress.accept(bytes);
                }
            } finally {
                inFlight.forEach(f -> f.cancel(true));
            }
        }
        if (bytes != manifest.size()) {
            return new ObjectVerifier.Result(false, "object has " + bytes + " bytes, the manifest says " + manifest.size(), bytes);
        }
        String actual = whole == null ? Checksums.composite(digests) : Hex.hex(whole.digest());
        if (!actual.equals(manifest.sha256())) {
            return new ObjectVerifier.Result(false, "object " + (whole == null ? "composite checksum " : "SHA-256 ") + actual
                    + " differs from the manifest's " + manifest.sha256(), bytes);
        }
        return new ObjectVerifier.Result(true, bytes + " bytes in " + parts.size() + " parts match the manifest (SHA-256 " + actual + ")", bytes);
    }

    private static Fetched fetch(ObjectStore store, String region, Manifest manifest, Manifest.Part part, long offset, byte[] buffer,
            BooleanSupplier cancelled) throws IOException {
        int size = (int) part.size();
        String where = "part " + part.number() + " of " + manifest.parts().size();
        if (size == 0) {
            return new Fetched(buffer, 0, Hex.hex(Hex.sha256().digest()), null);
        }
        ObjectStore.RangeRead read;
        try {
            var opened = store.openRange(region, manifest.objectKey(), offset, offset + size - 1);
            if (opened.isEmpty()) {
                return new Fetched(buffer, 0, null, "the object " + manifest.objectKey() + " is missing from " + store.bucket(region));
            }
            read = opened.get();
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return new Fetched(buffer, 0, null, "object ends before byte " + offset + " inside " + where + "; the manifest says "
                        + manifest.size() + " bytes (truncated or a part is missing)");
            }
            throw e;
        }
        MessageDigest digest = Hex.sha256();
        int filled = 0;
        try (InputStream in = read.stream()) {
            if (read.objectSize() >= 0 && read.objectSize() != manifest.size()) {
                return new Fetched(buffer, 0, null, "object has " + read.objectSize() + " bytes, the manifest says " + manifest.size()
                        + " (read at " + where + ")");
            }
            while (filled < size) {
                if (cancelled.getAsBoolean()) {
                    throw new ObjectVerifier.Cancelled();
                }
                int n = in.read(buffer, filled, Math.min(CHUNK, size - filled));
                if (n < 0) {
                    break;
                }
                digest.update(buffer, filled, n);
                filled += n;
            }
            if (filled < size) {
                return new Fetched(buffer, filled, null, "object ends at byte " + (offset + filled) + " inside " + where
                        + "; the manifest says " + manifest.size() + " bytes (truncated or a part is missing)");
            }
            if (in.read() >= 0) {
                return new Fetched(buffer, filled, null, where + " is longer than the manifest's " + size + " bytes");
            }
        }
        return new Fetched(buffer, filled, Hex.hex(digest.digest()), null);
    }

    private static byte[] take(BlockingQueue<byte[]> free) throws InterruptedIOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading parts");
        }
    }

    private static Fetched join(Future<Fetched> future) throws IOException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading parts");
        }
    }
}
