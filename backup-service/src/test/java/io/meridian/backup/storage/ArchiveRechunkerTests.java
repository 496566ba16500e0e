package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rewrite of a pipe-written archive into a file's layout, on archives written here byte by byte as pg_dump 15 writes
 * them (the restore integration tests run it on real pg_dump output and restore the result with pg_restore).
 */
class ArchiveRechunkerTests {

    private static final int NO_DATA = 3;
    private static final int NOT_SET = 1;

    /** Writes the archive format: ints as a sign byte and four little-endian bytes, strings length-prefixed. */
    private static final class Writer {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        /** Where each data entry's offset flag is. */
        final Map<Integer, Integer> flags = new LinkedHashMap<>();

        Writer u8(int b) {
            bytes.write(b);
            return this;
        }

        Writer integer(int value) {
            bytes.write(value < 0 ? 1 : 0);
            int v = Math.abs(value);
            for (int i = 0; i < 4; i++) {
                bytes.write(v & 0xFF);
                v >>>= 8;
            }
            return this;
        }

        Writer string(@Nullable String s) {
            if (s == null) {
                return integer(-1);
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            integer(b.length);
            bytes.write(b, 0, b.length);
            return this;
        }

        Writer raw(byte[] b) {
            bytes.write(b, 0, b.length);
            return this;
        }

        Writer header(int minor, int compression) {
            raw("PGDMP".getBytes(StandardCharsets.US_ASCII)).u8(1).u8(minor).u8(0).u8(4).u8(8).u8(1).integer(compression);
            for (int i = 0; i < 7; i++) {
                integer(i * 3);
            }
            return string("bench").string("15.18 (Debian 15.18-0+deb12u1)").string("15.18 (Debian 15.18-0+deb12u1)");
        }

        Writer entry(int minor, int dumpId, boolean data, String tag, int flag, int... deps) {
            integer(dumpId).integer(data ? 1 : 0).string("1259").string(String.valueOf(16000 + dumpId)).string(tag)
                    .string(data ? "TABLE DATA" : "TABLE").integer(data ? 2 : 1).string(data ? "" : "CREATE TABLE " + tag + " (id int);")
                    .string(data ? "" : "DROP TABLE " + tag + ";").string(data ? "COPY public." + tag + " (id, body) FROM stdin;\n" : null)
                    .string("public").string(null);
            if (minor >= 14) {
                string(data ? null : "heap");
            }
            string("meridian").string("false");
            for (int dep : deps) {
                string(String.valueOf(dep));
            }
            string(null);
            if (flag == NOT_SET) {
                flags.put(dumpId, bytes.size());
            }
            u8(flag);
            for (int i = 0; i < 8; i++) {
                u8(0);
            }
            return this;
        }
    }

    /** The data of each block, by dump id (large objects: each object's OID and bytes, in order). */
    private static Map<Integer, byte[]> rows(Random random, int blocks) {
        Map<Integer, byte[]> data = new LinkedHashMap<>();
        for (int b = 0; b < blocks; b++) {
            ByteArrayOutputStream rows = new ByteArrayOutputStream();
            int n = b == 0 ? 20_000 : 300;
            for (int i = 0; i < n; i++) {
                // mostly rows of a few dozen bytes, some of them larger than a whole rewritten chunk
                int length = b == 1 && i % 100 == 7 ? ArchiveRechunker.CHUNK + 1000 + random.nextInt(300_000) : 10 + random.nextInt(90);
                byte[] row = new byte[length];
                random.nextBytes(row);
                rows.write(row, 0, row.length);
            }
            data.put(10 + b, rows.toByteArray());
        }
        return data;
    }

    /**
     * An archive and where things are in it.
     *
     * @param bytes   the archive
     * @param flags   where each data entry's offset flag is
     * @param blobsAt where the large-object block starts
     */
    private record Archive(byte[] bytes, Map<Integer, Integer> flags, int blobsAt) {
    }

    /** An archive as pg_dump writes it to a pipe: every row its own chunk, no data positions in the TOC. */
    private static Archive pipeArchive(int minor, int compression, Map<Integer, byte[]> data, byte[] largeObjects) {
        Writer w = new Writer().header(minor, compression);
        w.integer(2 + data.size() + 1);
        w.entry(minor, 1, false, "ENCODING", NO_DATA).entry(minor, 2, false, "accounts", NO_DATA);
        for (int id : data.keySet()) {
            w.entry(minor, id, true, "t" + id, NOT_SET, 2);
        }
        w.entry(minor, 99, true, "BLOBS", NOT_SET);
        Random cut = new Random(5);
        for (var block : data.entrySet()) {
            w.u8(1).integer(block.getKey());
            byte[] rows = block.getValue();
            for (int offset = 0; offset < rows.length; ) {
                int length = Math.min(rows.length - offset, 1 + cut.nextInt(120));
                w.integer(length).raw(Arrays.copyOfRange(rows, offset, offset + length));
                offset += length;
            }
            w.integer(0);
        }
        int blobsAt = w.bytes.size();
        w.u8(3).integer(99);
        for (int oid : new int[] {16500, 16501}) {
            w.integer(oid);
            for (int offset = 0; offset < largeObjects.length; offset += 1000) {
                w.integer(Math.min(1000, largeObjects.length - offset)).raw(Arrays.copyOfRange(largeObjects, offset,
                        Math.min(largeObjects.length, offset + 1000)));
            }
            w.integer(0);
        }
        w.integer(0);
        return new Archive(w.bytes.toByteArray(), w.flags, blobsAt);
    }

    private static ArchiveRechunker.Summary rewrite(byte[] archive, int piece, Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ArchiveRechunker rechunker = new ArchiveRechunker(channel);
            for (int offset = 0; offset < archive.length; offset += piece) {
                ByteBuffer src = ByteBuffer.allocateDirect(Math.min(piece, archive.length - offset));
                src.put(archive, offset, src.capacity()).flip();
                assertThat(rechunker.write(src)).isEqualTo(src.capacity());
                assertThat(src.hasRemaining()).isFalse();
            }
            return rechunker.finish();
        }
    }

    /** Reads a rewritten archive back the way pg_restore does with data positions: by seeking to each. */
    private record Block(int type, int dumpId, byte[] data, List<Integer> chunkSizes) {
    }

    private static final class Reader {
        final byte[] b;
        int p;

        Reader(byte[] b, int p) {
            this.b = b;
            this.p = p;
        }

        int u8() {
            return b[p++] & 0xFF;
        }

        int integer() {
            boolean negative = u8() != 0;
            int v = 0;
            for (int i = 0; i < 4; i++) {
                v |= u8() << (8 * i);
            }
            return negative ? -v : v;
        }

        Block block() {
            int type = u8();
            int id = integer();
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            List<Integer> sizes = new ArrayList<>();
            if (type == 3) {
                for (int oid; (oid = integer()) != 0; ) {
                    data.writeBytes(String.valueOf(oid).getBytes(StandardCharsets.US_ASCII));
                    chunks(data, sizes);
                }
            } else {
                chunks(data, sizes);
            }
            return new Block(type, id, data.toByteArray(), sizes);
        }

        void chunks(ByteArrayOutputStream data, List<Integer> sizes) {
            for (int n; (n = integer()) != 0; ) {
                data.write(b, p, n);
                sizes.add(n);
                p += n;
            }
        }
    }

    /** Where the TOC's offset field of each data entry is (and which ids those are): the known layout of the test archive. */
    private static Map<Integer, Long> offsets(byte[] rewritten, Map<Integer, Integer> flagPositions) {
        Map<Integer, Long> result = new LinkedHashMap<>();
        for (var field : flagPositions.entrySet()) {
            int at = field.getValue();
            assertThat(rewritten[at]).as("entry %d's flag", field.getKey()).isEqualTo((byte) 2);
            long offset = 0;
            for (int i = 0; i < 8; i++) {
                offset |= (long) (rewritten[at + 1 + i] & 0xFF) << (8 * i);
            }
            result.put(field.getKey(), offset);
        }
        return result;
    }

    @Test
    void rowChunksAreCoalescedAndEveryDataEntryGetsItsPositionHoweverTheBytesArrive(@TempDir Path dir) throws IOException {
        Random random = new Random(42);
        Map<Integer, byte[]> data = rows(random, 3);
        byte[] largeObjects = new byte[5500];
        random.nextBytes(largeObjects);
        Archive written = pipeArchive(14, 0, data, largeObjects);
        byte[] archive = written.bytes();
        Map<Integer, Integer> flags = written.flags();
        assertThat(flags).containsOnlyKeys(10, 11, 12, 99);

        byte[] first = null;
        for (int piece : new int[] {archive.length, 1, 7, 4096, 1 << 20}) {
            Path file = dir.resolve("restore-" + piece + ".dump");
            ArchiveRechunker.Summary summary = rewrite(archive, piece, file);
            assertThat(summary.rewritten()).as(summary.note()).isTrue();
            assertThat(summary.blocks()).isEqualTo(4);
            assertThat(summary.offsetsSet()).isEqualTo(4);
            assertThat(summary.chunksOut()).isLessThan(summary.chunksIn() / 50);
            byte[] rewritten = Files.readAllBytes(file);
            if (first == null) {
                first = rewritten;
            } else {
                assertThat(rewritten).as("written %d bytes at a time", piece).isEqualTo(first);
            }
        }

        int tocEnd = flags.get(99) + 9;
        assertThat(Arrays.copyOf(first, tocEnd)).as("header and TOC as they were, but for the data positions")
                .isNotEqualTo(Arrays.copyOf(archive, tocEnd));
        byte[] tocWithoutOffsets = Arrays.copyOf(first, tocEnd);
        for (int at : flags.values()) {
            System.arraycopy(archive, at, tocWithoutOffsets, at, 9);
        }
        assertThat(tocWithoutOffsets).isEqualTo(Arrays.copyOf(archive, tocEnd));

        Map<Integer, Long> offsets = offsets(first, flags);
        for (var entry : data.entrySet()) {
            Block block = new Reader(first, Math.toIntExact(offsets.get(entry.getKey()))).block();
            assertThat(block.type()).isEqualTo(1);
            assertThat(block.dumpId()).isEqualTo(entry.getKey());
            assertThat(block.data()).as("block %d's rows", entry.getKey()).isEqualTo(entry.getValue());
            assertThat(block.chunkSizes()).allMatch(n -> n > 0 && n <= ArchiveRechunker.CHUNK);
            assertThat(block.chunkSizes().subList(0, block.chunkSizes().size() - 1)).allMatch(n -> n == ArchiveRechunker.CHUNK);
        }
        Block blobs = new Reader(first, Math.toIntExact(offsets.get(99))).block();
        assertThat(blobs.type()).isEqualTo(3);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (String oid : new String[] {"16500", "16501"}) {
            expected.writeBytes(oid.getBytes(StandardCharsets.US_ASCII));
            expected.writeBytes(largeObjects);
        }
        assertThat(blobs.data()).isEqualTo(expected.toByteArray());
        assertThat(blobs.chunkSizes()).containsExactly(5500, 5500);

        // sequential reading (pg_restore without -j) sees the same blocks one after another, up to the end of the file
        Reader all = new Reader(first, tocEnd);
        List<Integer> order = new ArrayList<>();
        while (all.p < first.length) {
            order.add(all.block().dumpId());
        }
        assertThat(order).containsExactly(10, 11, 12, 99);
    }

    @Test
    void archivesItDoesNotKnowAreWrittenThroughUnchanged(@TempDir Path dir) throws IOException {
        Random random = new Random(7);
        Map<Integer, byte[]> data = rows(random, 1);
        Map<String, byte[]> unknown = new LinkedHashMap<>();
        unknown.put("archive version 1.15", pipeArchive(15, 0, data, new byte[10]).bytes());
        unknown.put("the archive is compressed", pipeArchive(14, 6, data, new byte[10]).bytes());
        byte[] plain = new byte[100_000];
        random.nextBytes(plain);
        unknown.put("not a pg_dump custom-format archive", plain);
        for (var archive : unknown.entrySet()) {
            for (int piece : new int[] {archive.getValue().length, 3}) {
                Path file = dir.resolve("through-" + piece);
                ArchiveRechunker.Summary summary = rewrite(archive.getValue(), piece, file);
                assertThat(summary.rewritten()).isFalse();
                assertThat(summary.note()).contains(archive.getKey());
                assertThat(Files.readAllBytes(file)).as(archive.getKey()).isEqualTo(archive.getValue());
            }
        }

        // an unknown block type: what came before it is rewritten (and keeps its position), the rest goes through as it is
        Archive odd = pipeArchive(14, 0, data, new byte[10]);
        byte[] archive = odd.bytes();
        int blobsAt = odd.blobsAt();
        assertThat(archive[blobsAt]).isEqualTo((byte) 3);
        archive[blobsAt] = 9;
        ArchiveRechunker.Summary summary = rewrite(archive, 4096, dir.resolve("odd"));
        assertThat(summary.rewritten()).isFalse();
        assertThat(summary.note()).contains("type 9");
        assertThat(summary.offsetsSet()).isEqualTo(1);
        byte[] rewritten = Files.readAllBytes(dir.resolve("odd"));
        assertThat(Arrays.copyOfRange(rewritten, rewritten.length - (archive.length - blobsAt), rewritten.length))
                .isEqualTo(Arrays.copyOfRange(archive, blobsAt, archive.length));
    }

    @Test
    void anArchiveThatEndsInsideADataBlockIsAnError(@TempDir Path dir) {
        Map<Integer, byte[]> data = rows(new Random(3), 1);
        byte[] archive = pipeArchive(14, 0, data, new byte[10]).bytes();
        byte[] truncated = Arrays.copyOf(archive, archive.length / 2);
        assertThatThrownBy(() -> rewrite(truncated, 4096, dir.resolve("cut"))).isInstanceOf(IOException.class)
                .hasMessageContaining("ends inside a data block");
    }
}
