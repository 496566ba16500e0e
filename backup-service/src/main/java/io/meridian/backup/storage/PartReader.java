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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

import org.jspecify.annotations.Nullable;

import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Reads an object part by part with several ranged GETs at once (or its part objects, {@link Manifest#partObjects()}, several
 * at once, one GET each) and hands every part to a sink
 * <em>only after</em> its size and SHA-256 matched the manifest, in order. So the sink (a tar
 * extraction into a staging directory, a file) never receives a byte that was not checked. At the
 * end the object checksum (format 2: composite of the part digests; format 1: the whole object's
 * SHA-256, computed as the checked parts pass) and the size are compared as {@link ObjectVerifier}
 * does. A part that does not match stops the read at once; the sink then holds only checked parts,
 * and the result says which part failed (the caller discards the sink's output).
 *
 * <p>Three stages overlap: part readers (platform threads, one ranged GET of up to three consecutive parts each), a
 * checker thread that takes the fetched parts in order, hashes them, compares them with the manifest and queues the ones
 * that matched, and the calling thread, which writes the queued parts into the sink and gives their buffers back. The
 * calling thread is the only one that touches the sink, and it only ever sees parts the checker let through. With
 * {@link PartDigests#lanes() vector lanes} the readers do not hash: the checker waits until a vector's worth of parts (8)
 * is in and hashes them together (about four times cheaper per byte than one at a time); without lanes each reader hashes
 * its own parts with the JDK's SHA-256 as it reads them.
 *
 * <p>{@code parallel} parts are in flight at once (groups of up to three per GET); heap: about {@code (parallel + 3)
 * * partSize} bytes of part buffers, {@code (parallel + 8) * partSize} with lanes (the parts in flight and the parts
 * waiting to be hashed or written).
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

    /** What the checker hands to the writing thread, in order. */
    private sealed interface Handed permits Checked, Finished {
    }

    /** A part whose size and SHA-256 matched the manifest: only such parts reach the sink. */
    private record Checked(byte[] buffer, int length) implements Handed {
    }

    /** The end of the read: its outcome, or what was thrown. Nothing follows it. */
    private record Finished(ObjectVerifier.@Nullable Result result, @Nullable Throwable thrown) implements Handed {
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
     * {@code lanes} (several parts at once, on the checker thread, once they are all here) or, when null, each part with the
     * JDK's SHA-256 on the thread that reads it.
     */
    static ObjectVerifier.Result read(ObjectStore store, String region, Manifest manifest, int parallel, OutputStream sink,
            LongConsumer progress, BooleanSupplier cancelled, PartDigests.@Nullable Engine lanes) throws IOException {
        Checker checker = new Checker(store, region, manifest, parallel, cancelled, lanes);
        long written = 0;
        try (ExecutorService checking = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("part-checker").factory())) {
            Future<?> task = checking.submit(checker::run);
            try {
                while (true) {
                    Handed next;
                    try {
                        next = checker.checked.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading parts");
                    }
                    switch (next) {
                        case Checked part -> {
                            if (cancelled.getAsBoolean()) {
                                throw new ObjectVerifier.Cancelled();
                            }
                            sink.write(part.buffer(), 0, part.length());
                            written += part.length();
                            checker.returned.add(part.buffer());
                            progress.accept(written);
                        }
                        case Finished end -> {
                            if (end.thrown() != null) {
                                throw rethrow(end.thrown());
                            }
                            return java.util.Objects.requireNonNull(end.result());
                        }
                    }
                }
            } finally {
                // on any way out the checker and the readers stop (at their next chunk) before this returns: closing the
                // executor waits for the checker, which waits for its readers
                checker.abandoned.set(true);
                task.cancel(true);
            }
        }
    }

    private static IOException rethrow(Throwable thrown) {
        if (thrown instanceof IOException io) {
            return io;
        }
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (thrown instanceof Error error) {
            throw error;
        }
        if (thrown instanceof InterruptedException) {
            return new InterruptedIOException("interrupted while reading parts");
        }
        return new IOException(thrown);
    }

    /**
     * The checker stage: starts the ranged GETs as buffers are free, takes the fetched parts in order, hashes them, compares
     * them with the manifest and queues those that matched for the writing thread, which gives their buffers back.
     */
    private static final class Checker {

        private final ObjectStore store;
        private final String region;
        private final Manifest manifest;
        private final BooleanSupplier cancelled;
        private final PartDigests.@Nullable Engine lanes;
        private final List<Manifest.Part> parts;
        private final int group;
        private final int window;
        private final int batch;
        private final int pool;
        private final int partSize;
        /** Checked parts (and the end) for the writing thread; bounded by the buffer pool. */
        final BlockingQueue<Handed> checked = new LinkedBlockingQueue<>();
        /** Buffers the writing thread is done with. */
        final BlockingQueue<byte[]> returned = new LinkedBlockingQueue<>();
        /** Set when the read stops early: the parts still in flight stop at their next chunk instead of reading to the end. */
        final AtomicBoolean abandoned = new AtomicBoolean();

        Checker(ObjectStore store, String region, Manifest manifest, int parallel, BooleanSupplier cancelled,
                PartDigests.@Nullable Engine lanes) {
            this.store = store;
            this.region = region;
            this.manifest = manifest;
            this.cancelled = cancelled;
            this.lanes = lanes;
            this.parts = manifest.parts();
            this.partSize = (int) Math.max(manifest.partSize(), parts.isEmpty() ? 0 : parts.getLast().size());
            // several consecutive parts per ranged GET (up to 3, 24 MB): each request costs the server and the client a little,
            // and with one GET per 8 MB part that added up on two busy cores
            // (a part object is read whole with one GET: the groups are the part objects)
            this.group = manifest.partObjects() ? manifest.partsPerObjectOrOne()
                    : (int) Math.max(1, Math.min(MAX_PARTS_PER_REQUEST, BYTES_PER_REQUEST / Math.max(1, partSize)));
            this.window = Math.max(1, (parallel + group - 1) / group);
            // with lanes, fetched parts wait unhashed until a vector's worth is in (or all that can be in flight at once, if
            // fewer: waiting for more would stall the reads)
            this.batch = lanes == null ? 1 : Math.min(lanes.lanes(), window * group);
            // in flight + waiting for the hash (the sink's parts come out of that share: more buffers meant more garbage
            // collection under a 256 MB heap, which cost more than the GETs that wait for the sink); no more buffers than the
            // object has parts (a small object does not need the whole window)
            this.pool = (int) Math.max(1, Math.min(parts.size(), window * group + Math.max(group, batch)));
        }

        void run() {
            Deque<Future<List<Fetched>>> inFlight = new ArrayDeque<>();
            // platform threads: a virtual thread reading a TLS socket parks and is woken by the poller for every read that
            // would block, which costs CPU on the two cores the hashing needs; a handful of blocking readers is cheaper
            try (ExecutorService fetchers = Executors.newFixedThreadPool(window, Thread.ofPlatform().daemon().name("part-reader-", 0).factory())) {
                try {
                    checked.add(new Finished(check(fetchers, inFlight), null));
                } catch (Throwable e) {
                    checked.add(new Finished(null, e));
                } finally {
                    abandoned.set(true);
                    inFlight.forEach(f -> f.cancel(true));
                }
            }
        }

        private ObjectVerifier.Result check(ExecutorService fetchers, Deque<Future<List<Fetched>>> inFlight) throws IOException,
                InterruptedException {
            Deque<byte[]> free = new ArrayDeque<>();
            for (int i = 0; i < pool; i++) {
                free.add(new byte[partSize]);
            }
            @Nullable MessageDigest whole = manifest.composite() ? null : Hex.sha256();
            List<String> digests = new ArrayList<>(parts.size());
            List<Fetched> pending = new ArrayList<>();
            BooleanSupplier stop = () -> abandoned.get() || cancelled.getAsBoolean();
            boolean hashWhileReading = lanes == null;
            // buffers handed to the writing thread and not yet given back
            int atWriter = 0;
            long bytes = 0;
            int next = 0;
            int index = 0;
            while (index < parts.size()) {
                atWriter -= returned.drainTo(free);
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
                // hand on what is here when a vector's worth of parts waits, when a part failed (the parts before it are still
                // checked and written), or when nothing more can arrive before the writer gives buffers back and it holds none
                boolean failed = !pending.isEmpty() && pending.getLast().problem() != null;
                boolean starved = inFlight.isEmpty() && (next >= parts.size() || atWriter == 0);
                if (!pending.isEmpty() && (pending.size() >= batch || failed || starved)) {
                    int take = failed || starved ? pending.size() : pending.size() - pending.size() % batch;
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
                        checked.add(new Checked(fetched.buffer(), fetched.length()));
                        atWriter++;
                        digests.add(fetched.digest());
                        bytes += fetched.length();
                        index++;
                    }
                    continue;
                }
                if (inFlight.isEmpty()) {
                    if (atWriter == 0) {
                        throw new IllegalStateException("no part in flight, none waiting and no buffer at the writer before part "
                                + (index + 1) + " of " + parts.size());
                    }
                    // every buffer is waiting to be written: the next GET starts when the writer gives one back
                    free.add(returned.take());
                    atWriter--;
                    continue;
                }
                pending.addAll(join(inFlight.removeFirst()));
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
            byte[][] messages = new byte[run][];
            for (int k = 0; k < run; k++) {
                messages[k] = ready.get(i + k).buffer();
            }
            String[] digests = PartDigests.sha256Hex(lanes, messages, run, first.length());
            for (int k = 0; k < run; k++) {
                Fetched f = ready.get(i + k);
                ready.set(i + k, new Fetched(f.buffer(), f.length(), digests[k], null));
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
        // a part object is read whole (the group is its parts); otherwise the parts' range of the one object
        boolean partObject = manifest.partObjects();
        int objectIndex = first / manifest.partsPerObjectOrOne() + 1;
        if (partObject && (first % manifest.partsPerObjectOrOne() != 0 || buffers.size() != manifest.partsOfObject(objectIndex)[1] - first)) {
            throw new IllegalStateException("parts " + (first + 1) + "-" + (first + buffers.size()) + " are not part object " + objectIndex);
        }
        String key = partObject ? manifest.partObjectKey(objectIndex) : manifest.objectKey();
        long offset = partObject ? 0 : (long) first * manifest.partSize();
        long expectedSize = partObject ? manifest.objectSize(objectIndex) : manifest.size();
        String what = partObject ? "part object " + key : "object";
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
            var opened = store.openRange(region, key, offset, offset + length - 1);
            if (opened.isEmpty()) {
                return List.of(new Fetched(buffers.getFirst(), 0, null, (partObject ? where + " (" + key + ")" : "the object " + key)
                        + " is missing from " + store.bucket(region)));
            }
            read = opened.get();
        } catch (S3Exception e) {
            if (e.statusCode() == 416) {
                return List.of(new Fetched(buffers.getFirst(), 0, null, what + " ends before byte " + offset + " inside " + where
                        + "; the manifest says " + expectedSize + " bytes (truncated or a part is missing)"));
            }
            throw e;
        }
        try (InputStream in = read.stream()) {
            if (read.objectSize() >= 0 && read.objectSize() != expectedSize) {
                return List.of(new Fetched(buffers.getFirst(), 0, null, what + " has " + read.objectSize() + " bytes, the manifest says "
                        + expectedSize + " (read at " + where + ")"));
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
                    fetched.add(new Fetched(buffer, filled, null, what + " ends at byte " + (position + filled) + " inside part "
                            + part.number() + " of " + parts.size() + "; the manifest says " + expectedSize
                            + " bytes (truncated or a part is missing)"));
                    return fetched;
                }
                // without a digest here the reader hashes it (with other parts, in vector lanes) before anything else uses it
                fetched.add(new Fetched(buffer, filled, digest == null ? null : Hex.hex(digest.digest()), null));
                position += size;
            }
            if (in.read() >= 0) {
                fetched.add(new Fetched(buffers.getLast(), 0, null, "the " + what + " holds more bytes than the manifest's parts "
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
