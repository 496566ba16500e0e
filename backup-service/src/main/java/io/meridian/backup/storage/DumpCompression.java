package io.meridian.backup.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Map;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;

/**
 * How a logical backup's object is compressed, as its manifest records it under {@link #KEY} in the tool versions.
 *
 * <p>pg_dump compresses its custom-format archive with gzip on its one thread, which makes a dump CPU-bound on pg_dump
 * alone while the second core idles. With {@code ZSTD} pg_dump writes the archive uncompressed ({@code -Z0}) and the
 * stream is compressed with zstd (the zstd-jni binding of the reference library) on worker threads beside it; the
 * stored object is one zstd frame of a plain custom-format archive, which restores decompress as its checked parts arrive (so
 * {@code pg_restore} reads an uncompressed archive and inflates nothing itself). Backups without the key are pg_dump's
 * own compressed archives and are restored as they are.
 */
public final class DumpCompression {

    /** The tool-versions key of a logical backup's compression. */
    public static final String KEY = "compression";
    private static final String ZSTD = "zstd";

    private DumpCompression() {
    }

    /** The manifest's description of a zstd-compressed object at {@code level}. */
    public static String zstdLabel(int level) {
        return ZSTD + " level " + level + " (zstd-jni " + com.github.luben.zstd.util.ZstdVersion.VERSION + "), archive written with pg_dump -Z0";
    }

    /** Whether the object described by these tool versions is one zstd frame. */
    public static boolean isZstd(Map<String, String> toolVersions) {
        String compression = toolVersions.get(KEY);
        return compression != null && compression.startsWith(ZSTD);
    }

    /**
     * A stream that compresses what is written into {@code out}. Closing it ends the zstd frame and waits for the workers, but
     * leaves {@code out} open (the caller completes or aborts the upload).
     */
    public static OutputStream zstd(OutputStream out, int level, int workers) throws IOException {
        ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len); // FilterOutputStream writes byte by byte
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        }, level);
        zstd.setChecksum(true); // the frame checks its own content too: a bug in either direction shows as an error, not as data
        if (workers > 0) {
            zstd.setWorkers(workers);
        }
        return zstd;
    }


    /**
     * A sink that decompresses what is written into it and writes the result to {@code out}. {@link Inflating#close()
     * Closing} it fails unless every frame written into it was complete; {@link Inflating#release()} frees it without that
     * check (a read that stopped early). {@code out} stays open either way.
     */
    public static Inflating inflating(WritableByteChannel out) {
        return new Inflating(out);
    }

    /**
     * Decompression as an {@link OutputStream}, which zstd-jni does not offer (its streams decompress what they read): the
     * restore's part reader pushes checked parts into its sink on one thread, and decompressing them right there, from and
     * into direct buffers, needs neither a pipe nor a second thread. Frames written one after another are decompressed
     * one after another, as the zstd tool does.
     */
    public static final class Inflating extends OutputStream {

        private static final int BUFFER = 1 << 20;
        private final WritableByteChannel out;
        private final ZstdDecompressCtx context = new ZstdDecompressCtx();
        private final ByteBuffer compressed = ByteBuffer.allocateDirect(BUFFER);
        private final ByteBuffer plain = ByteBuffer.allocateDirect(4 * BUFFER);
        /** Whether the last frame begun has ended (nothing begun counts as ended: an empty object is not zstd). */
        private boolean frameEnded;
        private boolean anyInput;
        private long written;
        private boolean released;

        private Inflating(WritableByteChannel out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (released) {
                throw new IOException("the decompression was already closed");
            }
            while (len > 0) {
                int n = Math.min(len, compressed.remaining());
                compressed.put(b, off, n);
                off += n;
                len -= n;
                anyInput = true;
                decompress();
            }
        }

        /** Decompresses all of {@link #compressed}, writing out whenever the output buffer fills. */
        private void decompress() throws IOException {
            compressed.flip();
            try {
                while (true) {
                    int before = compressed.position();
                    boolean ended;
                    try {
                        ended = context.decompressDirectByteBufferStream(plain, compressed);
                    } catch (ZstdException e) {
                        throw new IOException("not a valid zstd stream after " + written + " decompressed bytes: " + e.getMessage(), e);
                    }
                    frameEnded = ended;
                    boolean outputFull = !plain.hasRemaining();
                    boolean produced = plain.position() > 0;
                    drain();
                    if (!compressed.hasRemaining() && !outputFull) {
                        return;
                    }
                    if (compressed.position() == before && !produced && !outputFull) {
                        return; // needs more input than this buffer holds to go on (a block header split across writes)
                    }
                }
            } finally {
                compressed.compact();
            }
        }

        private void drain() throws IOException {
            plain.flip();
            while (plain.hasRemaining()) {
                written += out.write(plain);
            }
            plain.clear();
        }

        /** Bytes written out so far. */
        public long written() {
            return written;
        }

        /** Ends the decompression and fails unless the input held only complete frames; {@code out} stays open. */
        @Override
        public void close() throws IOException {
            if (released) {
                return;
            }
            try {
                if (compressed.position() > 0 || !frameEnded || !anyInput) {
                    throw new IOException("the zstd stream ends inside a frame after " + written + " decompressed bytes");
                }
            } finally {
                release();
            }
        }

        /** Frees the native context without checking that the frames were complete. */
        public void release() {
            if (!released) {
                released = true;
                context.close();
            }
        }
    }
}
