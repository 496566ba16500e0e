package io.meridian.backup.storage;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;

/**
 * How a logical backup's object is compressed, as its manifest records it under {@link #KEY} in the tool versions.
 *
 * <p>pg_dump compresses its custom-format archive with gzip on its one thread, which makes a dump CPU-bound on pg_dump
 * alone while the second core idles. With {@code ZSTD} pg_dump writes the archive uncompressed ({@code -Z0}) and the
 * stream is compressed with zstd (the zstd-jni binding of the reference library) on worker threads beside it; the
 * stored object is one zstd frame of a plain custom-format archive, which restores decompress as they download (so
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

    /** {@code in}, decompressed. */
    public static InputStream unzstd(InputStream in) throws IOException {
        return new ZstdInputStreamNoFinalizer(in);
    }
}
