package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zstd-compressed logical backups: compressed beside the dump, decompressed as the restore's checked parts arrive. */
class DumpCompressionTests {

    private static final int PART = 256 * 1024;

    /** Text-like rows (compressible, as a dump is), several times the decompression's buffers. */
    private static byte[] dump() {
        Random random = new Random(11);
        StringBuilder rows = new StringBuilder();
        while (rows.length() < 3_000_000) {
            rows.append(random.nextInt(100_000)).append('\t').append("customer-").append(random.nextInt(5000)).append('\t')
                    .append(random.nextLong()).append('\n');
        }
        return rows.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] zstd(byte[] plain, int workers) throws IOException {
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        boolean[] closed = {false};
        OutputStream upload = new OutputStream() {
            @Override
            public void write(int b) {
                stored.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                stored.write(b, off, len);
            }

            @Override
            public void close() {
                closed[0] = true;
            }
        };
        try (OutputStream compressing = DumpCompression.zstd(upload, 3, workers)) {
            for (int offset = 0; offset < plain.length; offset += 70_000) {
                compressing.write(plain, offset, Math.min(70_000, plain.length - offset));
            }
        }
        assertThat(closed[0]).as("the upload is completed by its owner, not closed by the compressor").isFalse();
        return stored.toByteArray();
    }

    /** Decompresses {@code stored}, written in pieces of {@code piece} bytes, into a file; returns the file's bytes. */
    private static byte[] inflate(byte[] stored, int piece, Path file) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                DumpCompression.Inflating inflating = DumpCompression.inflating(out)) {
            for (int offset = 0; offset < stored.length; offset += piece) {
                inflating.write(stored, offset, Math.min(piece, stored.length - offset));
            }
        }
        return Files.readAllBytes(file);
    }

    @Test
    void aDumpCompressedOnWorkerThreadsComesBackByteForByte(@TempDir Path dir) throws IOException {
        byte[] plain = dump();
        for (int workers : new int[] {0, 1, 2}) {
            byte[] stored = zstd(plain, workers);
            assertThat(stored.length).as("compressed with %d workers", workers).isLessThan(plain.length / 2);
            // a part at a time (as the part reader hands them on), in pieces that split block headers, and larger than the
            // decompression's own buffers
            for (int piece : new int[] {PART, 7, 3_000_001}) {
                assertThat(inflate(stored, piece, dir.resolve("restore-" + workers + "-" + piece + ".dump")))
                        .as("%d workers, written %d bytes at a time", workers, piece).isEqualTo(plain);
            }
        }
        assertThat(DumpCompression.isZstd(Map.of(DumpCompression.KEY, DumpCompression.zstdLabel(3)))).isTrue();
        assertThat(DumpCompression.isZstd(Map.of("pg_dump", "pg_dump (PostgreSQL) 15.18"))).as("an older backup: pg_dump's own").isFalse();
    }

    @Test
    void framesOneAfterAnotherDecompressOneAfterAnother(@TempDir Path dir) throws IOException {
        byte[] first = "first frame\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        byte[] second = dump();
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        ByteArrayOutputStream stored = new ByteArrayOutputStream();
        stored.write(zstd(first, 0));
        stored.write(zstd(second, 1));
        assertThat(inflate(stored.toByteArray(), 4096, dir.resolve("two.dump"))).isEqualTo(both);
    }

    @Test
    void aStreamThatEndsInsideAFrameFailsAtCloseAndReleaseDoesNot(@TempDir Path dir) throws IOException {
        byte[] stored = zstd(dump(), 1);
        byte[] truncated = Arrays.copyOf(stored, stored.length - 3); // only the frame's checksum is cut short
        assertThatThrownBy(() -> inflate(truncated, PART, dir.resolve("a")))
                .isInstanceOf(IOException.class).hasMessageContaining("ends inside a frame");
        assertThatThrownBy(() -> inflate(new byte[0], PART, dir.resolve("b")))
                .as("nothing at all is no zstd frame either").isInstanceOf(IOException.class).hasMessageContaining("ends inside a frame");
        try (FileChannel out = FileChannel.open(dir.resolve("c"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            DumpCompression.Inflating stopped = DumpCompression.inflating(out);
            stopped.write(stored, 0, PART);
            stopped.release(); // a read that stopped at a damaged part: no second error over the first
            stopped.close();
            assertThatThrownBy(() -> stopped.write(stored, 0, 1)).isInstanceOf(IOException.class);
            assertThat(out.isOpen()).as("the file belongs to the caller").isTrue();
        }
    }

    @Test
    void bytesThatAreNoZstdFrameOrADamagedFrameAreAnError(@TempDir Path dir) throws IOException {
        byte[] notZstd = new byte[3 * PART];
        new Random(3).nextBytes(notZstd);
        assertThatThrownBy(() -> inflate(notZstd, PART, dir.resolve("a")))
                .isInstanceOf(IOException.class).hasMessageContaining("not a valid zstd stream");
        byte[] flipped = zstd(dump(), 0);
        flipped[flipped.length / 2] ^= 0x40;
        assertThatThrownBy(() -> inflate(flipped, PART, dir.resolve("b"))).as("the frame checks its content too")
                .isInstanceOf(IOException.class).hasMessageContaining("not a valid zstd stream");
    }
}
