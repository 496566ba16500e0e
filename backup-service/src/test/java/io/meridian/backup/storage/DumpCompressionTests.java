package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zstd-compressed logical backups: compressed beside the dump, decompressed while the download is checked. */
class DumpCompressionTests {

    private static final int PART = 256 * 1024;

    /** Text-like rows (compressible, as a dump is), larger than the 1 MB pipe, so that writer and reader take turns. */
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

    private static Manifest manifestOf(byte[] object) {
        List<Manifest.Part> parts = new ArrayList<>();
        for (int offset = 0, n = 1; offset < object.length; offset += PART, n++) {
            int size = Math.min(PART, object.length - offset);
            parts.add(new Manifest.Part(n, size, Hex.sha256(Arrays.copyOfRange(object, offset, offset + size))));
        }
        return new Manifest(Checksums.COMPOSITE_FORMAT, UUID.randomUUID(), "LOGICAL", "us-east-1", "app", "US", Instant.now(), "k",
                object.length, Checksums.compositeOf(parts), PART, parts, null, null,
                Map.of(DumpCompression.KEY, DumpCompression.zstdLabel(3)), List.of(), null, Checksums.COMPOSITE);
    }

    @Test
    void aDumpCompressedOnWorkerThreadsComesBackByteForByte(@TempDir Path dir) throws IOException {
        byte[] plain = dump();
        for (int workers : new int[] {0, 1, 2}) {
            byte[] stored = zstd(plain, workers);
            assertThat(stored.length).as("compressed with %d workers", workers).isLessThan(plain.length / 2);
            Manifest manifest = manifestOf(stored);
            assertThat(DumpCompression.isZstd(manifest.toolVersions())).isTrue();
            Path file = dir.resolve("restore-" + workers + ".dump");
            ObjectVerifier.Result result = BackupObjects.inflating(new ByteArrayInputStream(stored), manifest, file, n -> { }, () -> false);
            assertThat(result.ok()).as(result.detail()).isTrue();
            assertThat(result.bytes()).isEqualTo(stored.length);
            assertThat(Files.readAllBytes(file)).isEqualTo(plain);
        }
        assertThat(DumpCompression.isZstd(Map.of("pg_dump", "pg_dump (PostgreSQL) 15.18"))).as("an older backup: pg_dump's own").isFalse();
    }

    @Test
    void aDamagedPartIsReportedAsTheCheckFindsItEvenWhenTheDecompressionFailsFirst(@TempDir Path dir) throws IOException {
        byte[] stored = zstd(dump(), 1);
        Manifest manifest = manifestOf(stored);
        byte[] flipped = stored.clone();
        flipped[PART + 100] ^= 0x40;
        ObjectVerifier.Result damaged = BackupObjects.inflating(new ByteArrayInputStream(flipped), manifest, dir.resolve("a"), n -> { },
                () -> false);
        assertThat(damaged.ok()).isFalse();
        assertThat(damaged.detail()).startsWith("part 2 of " + manifest.parts().size());

        ObjectVerifier.Result truncated = BackupObjects.inflating(new ByteArrayInputStream(Arrays.copyOf(stored, PART + 10)), manifest,
                dir.resolve("b"), n -> { }, () -> false);
        assertThat(truncated.ok()).isFalse();
        assertThat(truncated.detail()).contains("part 2");
    }

    @Test
    void anObjectThatMatchesItsManifestButIsNoZstdFrameIsAnErrorNotARestore(@TempDir Path dir) {
        byte[] notZstd = new byte[3 * PART];
        new Random(3).nextBytes(notZstd);
        Manifest manifest = manifestOf(notZstd);
        assertThatThrownBy(() -> BackupObjects.inflating(new ByteArrayInputStream(notZstd), manifest, dir.resolve("c"), n -> { }, () -> false))
                .isInstanceOf(IOException.class).hasMessageContaining("does not decompress");
    }
}
