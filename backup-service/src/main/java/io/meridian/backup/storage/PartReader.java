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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>{@code parallel} parts are in flight at once, read in groups of up to three consecutive parts per ranged GET
 * (24 MB); heap: about {@code (parallel + 3) * partSize} bytes of part buffers. With {@link PartDigests#lanes() vector
 * lanes} the readers do not hash: the parts wait until a vector's worth (8) is in and are hashed together on the reading
 * thread (about four times cheaper per byte than one at a time), still before any of their bytes reaches the sink; heap
 * then about {@code (parallel + 8) * partSize}.
 */
public final class PartReader {

    private static final int CHUNK = 1 << 16;
    private static final int MAX_PARTS_PER_REQUEST = 3;
    private static final long BYTES_PER_REQUEST = 24L << 20;

    private PartReader() {
    }

    /** A fetched part: its buffer and what it held, or why it failed. */
    private record Fetched(byte[] buffer, int length, @Nullable String digest, @Nullable String problem) {
    }

    /**
     * Reads {@code manifest}'s object from {@code region}'s bucket into {@code sink}, about {@code parallel}
     * parts at a time.
     */
    public static ObjectVerifier.Result read(ObjectStore store, String region, Manifest manifest, int parallel, OutputStream sink,
            LongConsumer progress, BooleanSupplier cancelled) throws IOException {
        return read(store, region, manifest, parallel, sink, progress, cancelled, PartDigests.lanes());
    }

    /**
     * As {@link #read(ObjectStore, String, Manifest, int, OutputStream, LongConsumer, BooleanSupplier)}, hashing with
     * {@code lanes} (several parts at once, on this thread, once they are all here) or, when null, each part with the JDK's
     * SHA-256 on the thread that reads it.
     */
    static ObjectVerifier.Result read(ObjectStore store, String region, Manifest manifest, int parallel, OutputStream sink,
            LongConsumer progress, BooleanSupplier cancelled, PartDigests.@Nullable Engine lanes) throws IOException {
        List<Manifest.Part> parts = manifest.parts();
        int partSize = (int) Math.max(manifest.partSize(), parts.isEmpty() ? 0 : parts.getLast().size());
        // several consecutive parts per ranged GET (up to 3, 24 MB): each request costs the server and the client a little,
        // and with one GET per 8 MB part that added up on two busy cores
        int group = (int) Math.max(1, Math.min(MAX_PARTS_PER_REQUEST, BYTES_PER_REQUEST / Math.max(1, partSize)));
        int window = Math.max(1, (parallel + group - 1) / group);
        // with lanes, fetched parts wait here unhashed until a vector's worth is in (or all that can be in flight at once, if
        // fewer: waiting for more would stall the reads), besides those in flight
        int batch = lanes == null ? 1 : Math.min(lanes.lanes(), window * group);
        // only this thread takes and returns buffers
        Deque<byte[]> free = new ArrayDeque<>();
        // no more buffers than the object has parts (a small object does not need the whole window)
        int pool = (int) Math.max(1, Math.min(parts.size(), window * group + Math.max(group, batch)));
        for (int i = 0; i < pool; i++) {
            free.add(new byte[partSize]);
        }
        @Nullable MessageDigest whole = manifest.composite() ? null : Hex.sha256();
        List<String> digests = new ArrayList<>(parts.size());
        Deque<Future<List<Fetched>>> inFlight = new ArrayDeque<>();
        List<Fetched> pending = new ArrayList<>();
        // set when the read stops early: the parts still in flight stop at their next chunk instead of downloading to the end
        AtomicBoolean abandoned = new AtomicBoolean();
        BooleanSupplier stop = () -> abandoned.get() || cancelled.getAsBoolean();
        boolean hashWhileReading = lanes == null;
        long bytes = 0;
        // platform threads: a virtual thread reading a TLS socket parks and is woken by the poller for every read that would
        // block, which costs CPU on the two cores the hashing needs; a handful of blocking readers is cheaper
        try (ExecutorService fetchers = Executors.newFixedThreadPool(window, Thread.ofPlatform().daemon().name("part-reader-", 0).factory())) {
            int next = 0;
            int index = 0;
            try {
                while (index < parts.size()) {
                    while (next < parts.size() && inFlight.size() < window && free.size() >= Math.min(group, parts.size() - next)) {
                        int first = next;
                        int count = Math.min(group, parts.size() - first);
                        List<byte[]> buffers = new ArrayList<>(count);
                        for (int i = 0; i < count; i++) {
                            buffers.add(free.remove());
                        }
                        inFlight.add(fetchers.submit(() -> fetchGroup(store, region, manifest, first, buffers, stop, hashWhileReading)));
                        next += count;
                    }
                    if (cancelled.getAsBoolean()) {
                        throw new ObjectVerifier.Cancelled();
                    }
                    // hand on what is here when a vector's worth of parts waits, or when nothing more can arrive before buffers
                    // are freed (nothing in flight), or when a part failed (the parts before it are still checked and written)
                    boolean failed = !pending.isEmpty() && pending.getLast().problem() != null;
                    if (pending.size() >= batch || inFlight.isEmpty() || failed) {
                        int take = failed || inFlight.isEmpty() ? pending.size() : pending.size() - pending.size() % batch;
                        List<Fetched> ready = new ArrayList<>(pending.subList(0, take));
                        pending.subList(0, take).clear();
                        hash(ready, lanes);
                        for (Fetched fetched : ready) {
                            if (fetched.problem() != null) {
                                return new ObjectVerifier.Result(false, fetched.problem(), bytes);
                            }
                            Manifest.Part expected = parts.get(index);
                            if (!expected.sha256().equals(fetched.digest())) {
                                return new ObjectVerifier.Result(false, "part " + expected.number() + " of " + parts.size() + " (bytes " + bytes
                                        + "-" + (bytes + expected.size() - 1) + ") has SHA-256 " + fetched.digest() + ", the manifest says "
                                        + expected.sha256(), bytes + fetched.length());
                            }
                            if (whole != null) {
                                whole.update(fetched.buffer(), 0, fetched.length());
                            }
                            sink.write(fetched.buffer(), 0, fetched.length());
                            free.add(fetched.buffer());
                            digests.add(fetched.digest());
                            bytes += fetched.length();
                            index++;
                            progress.accept(bytes);
                        }
                        continue;
                    }
                    pending.addAll(join(inFlight.removeFirst()));
                }
            } finally {
                abandoned.set(true);
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

    /**
     * Fills in the digests the readers left out: runs of equally long parts go through {@code lanes} together (a run of one or
     * two, where most lanes would idle, through {@code MessageDigest}, as does every part when {@code lanes} is null).
     */
    private static void hash(List<Fetched> ready, PartDigests.@Nullable Engine lanes) {
        int i = 0;
        while (i < ready.size()) {
            Fetched first = ready.get(i);
            if (first.digest() != null || first.problem() != null) {
                i++;
                continue;
            }
            int run = 1;
            while (lanes != null && run < lanes.lanes() && i + run < ready.size() && ready.get(i + run).digest() == null
                    && ready.get(i + run).problem() == null && ready.get(i + run).length() == first.length()) {
                run++;
            }
            if (lanes != null && run > 2) {
                byte[][] messages = new byte[run][];
                for (int k = 0; k < run; k++) {
                    messages[k] = ready.get(i + k).buffer();
                }
                byte[][] digests = lanes.digest(messages, run, first.length());
                for (int k = 0; k < run; k++) {
                    Fetched f = ready.get(i + k);
                    ready.set(i + k, new Fetched(f.buffer(), f.length(), Hex.hex(digests[k]), null));
                }
            } else {
                for (int k = 0; k < run; k++) {
                    Fetched f = ready.get(i + k);
                    MessageDigest digest = Hex.sha256();
                    digest.update(f.buffer(), 0, f.length());
                    ready.set(i + k, new Fetched(f.buffer(), f.length(), Hex.hex(digest.digest()), null));
                }
            }
            i += run;
        }
    }

    /**
     * Reads parts {@code first .. first + buffers.size() - 1} with one ranged GET, each into its buffer, hashing as it reads.
     * The list ends early at the first part that cannot be read whole (its entry says why).
     */
    private static List<Fetched> fetchGroup(ObjectStore store, String region, Manifest manifest, int first, List<byte[]> buffers,
            BooleanSupplier stop, boolean hash) throws IOException {
        List<Manifest.Part> parts = manifest.parts();
        long offset = (long) first * manifest.partSize();
        long length = 0;
        for (int i = 0; i < buffers.size(); i++) {
            length += parts.get(first + i).size();
        }
        List<Fetched> fetched = new ArrayList<>(buffers.size());
        String where = "part " + parts.get(first).number() + " of " + parts.size();
        if (length == 0) {
            for (byte[] buffer : buffers) {
                fetched.add(new Fetched(buffer, 0, Hex.hex(Hex.sha256().digest()), null));
            }
            return fetched;
        }
        ObjectStore.RangeRead read;
        try {
            var opened = store.openRange(region, manifest.objectKey(), offset, offset + length - 1);
            if (opened.isEmpty()) {
                return List.of(new Fetched(buffers.getFirst(), 0, null, "the object " + manifest.objectKey() + " is missing from "
                        + store.bucket(region)));
            }
            read = opened.get();
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return List.of(new Fetched(buffers.getFirst(), 0, null, "object ends before byte " + offset + " inside " + where
                        + "; the manifest says " + manifest.size() + " bytes (truncated or a part is missing)"));
            }
            throw e;
        }
        try (InputStream in = read.stream()) {
            if (read.objectSize() >= 0 && read.objectSize() != manifest.size()) {
                return List.of(new Fetched(buffers.getFirst(), 0, null, "object has " + read.objectSize() + " bytes, the manifest says "
                        + manifest.size() + " (read at " + where + ")"));
            }
            long position = offset;
            for (int i = 0; i < buffers.size(); i++) {
                Manifest.Part part = parts.get(first + i);
                byte[] buffer = buffers.get(i);
                int size = (int) part.size();
                @Nullable MessageDigest digest = hash ? Hex.sha256() : null;
                int filled = 0;
                while (filled < size) {
                    if (stop.getAsBoolean()) {
                        throw new ObjectVerifier.Cancelled();
                    }
                    int n = in.read(buffer, filled, Math.min(CHUNK, size - filled));
                    if (n < 0) {
                        break;
                    }
                    if (digest != null) {
                        digest.update(buffer, filled, n);
                    }
                    filled += n;
                }
                if (filled < size) {
                    fetched.add(new Fetched(buffer, filled, null, "object ends at byte " + (position + filled) + " inside part "
                            + part.number() + " of " + parts.size() + "; the manifest says " + manifest.size()
                            + " bytes (truncated or a part is missing)"));
                    return fetched;
                }
                // without a digest here the reader hashes it (with other parts, in vector lanes) before anything else uses it
                fetched.add(new Fetched(buffer, filled, digest == null ? null : Hex.hex(digest.digest()), null));
                position += size;
            }
            if (in.read() >= 0) {
                fetched.add(new Fetched(buffers.getLast(), 0, null, "the object holds more bytes than the manifest's parts "
                        + parts.get(first).number() + "-" + parts.get(first + buffers.size() - 1).number()));
            }
        }
        return fetched;
    }

    private static <T> T join(Future<T> future) throws IOException {
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
