package io.meridian.backup.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;

/**
 * Writes an uncompressed pg_dump custom-format archive that pg_dump wrote to a pipe into a file in the layout pg_dump gives a
 * file: table data in large chunks, and every data entry's position in the table of contents.
 *
 * <p>Why by hand: nothing but pg_dump itself writes this format, and pg_dump cannot be asked to. Written to a pipe without
 * compression ({@code -Z0}, as zstd backups are), pg_dump 15 stores each row of a table as its own chunk, and it cannot go
 * back to record where each table's data starts. {@code pg_restore} then sends every row to the server as its own COPY
 * message (measured: its restore took 1.15-1.36x the time of the same data in pg_dump's gzip layout), and each
 * {@code pg_restore -j} worker has to scan the archive for the data it restores. This class coalesces a data block's chunks
 * into chunks of up to {@value #CHUNK} bytes (COPY data need not end at a row: pg_dump's own gzip layout splits rows
 * anywhere) and, once everything is written, records each block's position in its TOC entry, as pg_dump does when it writes a
 * file. The archive's bytes are otherwise unchanged: the header and the TOC are copied as they are.
 *
 * <p>Only archive versions 1.13 and 1.14 (pg_dump 12 to 15 write 1.14), uncompressed, are rewritten; anything else (another
 * version, a compressed archive, a table of contents over {@value #MAX_TOC} bytes, a block type this class does not know) is
 * written through unchanged from where it was recognised, which {@code pg_restore} reads as it would have anyway.
 *
 * <p>Layout (pg_backup_archiver.c, pg_backup_custom.c): a header ({@code PGDMP}, version, int and offset sizes, format,
 * compression, creation time, database and versions), the TOC (a count, then per entry its dump id, whether it has data,
 * strings, dependencies and the data offset: a flag byte and {@code offSize} bytes), then data blocks: a type byte, the dump
 * id, and length-prefixed chunks ending with a zero length (large-object blocks: per object its OID and such chunks, ending
 * with OID 0). An int is a sign byte and {@code intSize} little-endian bytes; a string is its length (-1: null) and its bytes.
 */
public final class ArchiveRechunker implements WritableByteChannel {

    /** Largest chunk written. */
    static final int CHUNK = 256 * 1024;
    /** Largest table of contents read to rewrite the data after it. */
    static final int MAX_TOC = 64 << 20;
    private static final int BLK_DATA = 1;
    private static final int BLK_BLOBS = 3;
    private static final int OFFSET_POS_NOT_SET = 1;
    private static final int OFFSET_POS_SET = 2;

    private enum State {
        /** Collecting the header and the TOC. */
        HEAD,
        BLOCK_TYPE, BLOCK_ID, CHUNK_LENGTH, CHUNK_DATA, BLOB_OID,
        /** Everything from here is written as it comes. */
        THROUGH
    }

    /**
     * What the rewrite did.
     *
     * @param rewritten    whether the archive was recognised (else: written through unchanged)
     * @param note         why not, or null
     * @param blocks       data blocks seen
     * @param chunksIn     chunks read
     * @param chunksOut    chunks written
     * @param offsetsSet   TOC entries given their data's position
     */
    public record Summary(boolean rewritten, @Nullable String note, int blocks, long chunksIn, long chunksOut, int offsetsSet) {
    }

    private final FileChannel file;
    private final ByteBuffer out = ByteBuffer.allocateDirect(1 << 20);
    private long written;

    private State state = State.HEAD;
    private byte[] head = new byte[64 * 1024];
    private int headLength;
    private int intSize;
    private int offSize;
    /** Where each TOC entry's offset flag is in the output, by dump id (entries whose data position is not set). */
    private final Map<Integer, Long> offsetFields = new HashMap<>();
    /** Where each data block starts in the output, by dump id. */
    private final Map<Integer, Long> blockStarts = new HashMap<>();

    private final byte[] intBytes = new byte[9];
    private int intHave;
    private int intValue;
    private boolean inBlobs;
    private long chunkLeft;
    private final byte[] pending = new byte[CHUNK];
    private int pendingLength;
    private long blockStart;
    private @Nullable String note;
    private int blocks;
    private long chunksIn;
    private long chunksOut;
    private boolean finished;

    /** Rewrites into {@code file} from its current position 0 on (an empty file the caller owns and closes). */
    public ArchiveRechunker(FileChannel file) {
        this.file = file;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        while (src.hasRemaining()) {
            switch (state) {
                case HEAD -> head(src);
                case THROUGH -> {
                    flushOut();
                    while (src.hasRemaining()) {
                        written += file.write(src);
                    }
                }
                case BLOCK_TYPE -> blockType(src.get() & 0xFF);
                case BLOCK_ID, CHUNK_LENGTH, BLOB_OID -> {
                    if (readInt(src)) {
                        integer(intValue);
                    }
                }
                case CHUNK_DATA -> chunkData(src);
            }
        }
        return n;
    }

    /** Ends the rewrite: writes what is pending and sets the data positions in the TOC. */
    public Summary finish() throws IOException {
        finished = true;
        if (state == State.HEAD) {
            through("the archive ended inside its table of contents");
            emit(head, 0, headLength);
        }
        if (state != State.BLOCK_TYPE && state != State.THROUGH) {
            throw new IOException("the archive ends inside a data block (" + state + ")");
        }
        flushOut();
        int set = 0;
        ByteBuffer offset = ByteBuffer.allocate(1 + offSize);
        for (Map.Entry<Integer, Long> field : offsetFields.entrySet()) {
            Long start = blockStarts.get(field.getKey());
            if (start == null) {
                continue;
            }
            offset.clear();
            offset.put((byte) OFFSET_POS_SET);
            long value = start;
            for (int i = 0; i < offSize; i++) {
                offset.put((byte) (value & 0xFF));
                value >>>= 8;
            }
            offset.flip();
            long at = field.getValue();
            while (offset.hasRemaining()) {
                at += file.write(offset, at);
            }
            set++;
        }
        return new Summary(note == null, note, blocks, chunksIn, chunksOut, set);
    }

    @Override
    public boolean isOpen() {
        return !finished;
    }

    /** Does not close the file (its owner does); see {@link #finish()}. */
    @Override
    public void close() {
        finished = true;
    }

    // ---- header and TOC

    private void head(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (headLength + n > head.length) {
            head = java.util.Arrays.copyOf(head, Math.max(head.length * 2, headLength + n));
        }
        src.get(head, headLength, n);
        headLength += n;
        Integer tocEnd;
        try {
            tocEnd = parseHead();
        } catch (IllegalStateException unknown) {
            through(unknown.getMessage());
            emit(head, 0, headLength);
            head = new byte[0];
            return;
        }
        if (tocEnd == null) {
            if (headLength > MAX_TOC) {
                through("the table of contents is larger than " + MAX_TOC + " bytes");
                emit(head, 0, headLength);
                head = new byte[0];
            }
            return;
        }
        emit(head, 0, tocEnd);
        state = State.BLOCK_TYPE;
        ByteBuffer rest = ByteBuffer.wrap(head, tocEnd, headLength - tocEnd);
        head = new byte[0];
        write(rest);
    }

    /** Reads a header and TOC this class can rewrite: the TOC's end, or null when more bytes are needed. */
    private @Nullable Integer parseHead() {
        Reader r = new Reader(head, headLength);
        try {
            byte[] magic = r.bytes(5);
            if (!new String(magic, StandardCharsets.US_ASCII).equals("PGDMP")) {
                throw new IllegalStateException("not a pg_dump custom-format archive");
            }
            int major = r.u8();
            int minor = r.u8();
            r.u8(); // revision
            intSize = r.u8();
            offSize = r.u8();
            int format = r.u8();
            if (major != 1 || minor < 13 || minor > 14) {
                throw new IllegalStateException("archive version " + major + "." + minor + " is not one this rewrite knows");
            }
            if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8 || format != 1) {
                throw new IllegalStateException("unexpected archive header (int size " + intSize + ", offset size " + offSize
                        + ", format " + format + ")");
            }
            r.intSize = intSize;
            if (r.integer() != 0) {
                throw new IllegalStateException("the archive is compressed");
            }
            for (int i = 0; i < 7; i++) {
                r.integer(); // creation time
            }
            r.string(); // database
            r.string(); // server version
            r.string(); // pg_dump version
            int entries = r.integer();
            offsetFields.clear();
            for (int e = 0; e < entries; e++) {
                int dumpId = r.integer();
                r.integer(); // has data
                for (int s = 0; s < 9; s++) { // table oid, oid, tag, desc (then section), defn, drop, copy, namespace, tablespace
                    r.string();
                    if (s == 3) {
                        r.integer();
                    }
                }
                if (minor >= 14) {
                    r.string(); // table access method
                }
                r.string(); // owner
                r.string(); // with oids
                while (r.string() != null) {
                    // dependencies, ending with null
                }
                int flagAt = r.position;
                int flag = r.u8();
                r.bytes(offSize);
                if (flag == OFFSET_POS_NOT_SET) {
                    offsetFields.put(dumpId, (long) flagAt);
                }
            }
            return r.position;
        } catch (NeedMore more) {
            return null;
        }
    }

    /** Not enough bytes yet. */
    private static final class NeedMore extends RuntimeException {
        private static final NeedMore INSTANCE = new NeedMore();

        private NeedMore() {
            super(null, null, false, false);
        }
    }

    /** Reads the archive's ints and strings from the collected head. */
    private static final class Reader {
        private final byte[] bytes;
        private final int limit;
        int position;
        int intSize = 4;

        Reader(byte[] bytes, int limit) {
            this.bytes = bytes;
            this.limit = limit;
        }

        int u8() {
            if (position >= limit) {
                throw NeedMore.INSTANCE;
            }
            return bytes[position++] & 0xFF;
        }

        byte[] bytes(int n) {
            if (position + n > limit) {
                throw NeedMore.INSTANCE;
            }
            byte[] b = java.util.Arrays.copyOfRange(bytes, position, position + n);
            position += n;
            return b;
        }

        int integer() {
            boolean negative = u8() != 0;
            long value = 0;
            for (int i = 0; i < intSize; i++) {
                value |= (long) u8() << (8 * i);
            }
            if (value > Integer.MAX_VALUE) {
                throw new IllegalStateException("an int out of range in the table of contents");
            }
            return (int) (negative ? -value : value);
        }

        @Nullable String string() {
            int length = integer();
            if (length < 0) {
                return null;
            }
            if (position + length > limit) {
                throw NeedMore.INSTANCE;
            }
            position += length;
            return ""; // the content is not needed, only where the string ends
        }
    }

    // ---- data blocks

    private void blockType(int type) throws IOException {
        if (type != BLK_DATA && type != BLK_BLOBS) {
            through("a data block of type " + type + " is not one this rewrite knows");
            emit(new byte[] {(byte) type}, 0, 1);
            return;
        }
        blockStart = written + out.position();
        emit(new byte[] {(byte) type}, 0, 1);
        inBlobs = type == BLK_BLOBS;
        blocks++;
        state = State.BLOCK_ID;
    }

    /** A complete int of the current state. */
    private void integer(int value) throws IOException {
        switch (state) {
            case BLOCK_ID -> {
                blockStarts.putIfAbsent(value, blockStart);
                emitInt(value);
                state = inBlobs ? State.BLOB_OID : State.CHUNK_LENGTH;
            }
            case BLOB_OID -> {
                emitInt(value);
                state = value == 0 ? State.BLOCK_TYPE : State.CHUNK_LENGTH;
            }
            case CHUNK_LENGTH -> {
                if (value < 0) {
                    throw new IOException("a negative chunk length in the archive");
                }
                if (value == 0) {
                    flushChunk();
                    emitInt(0);
                    state = inBlobs ? State.BLOB_OID : State.BLOCK_TYPE;
                } else {
                    chunksIn++;
                    chunkLeft = value;
                    state = State.CHUNK_DATA;
                }
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void chunkData(ByteBuffer src) throws IOException {
        int n = (int) Math.min(chunkLeft, Math.min(src.remaining(), CHUNK - pendingLength));
        src.get(pending, pendingLength, n);
        pendingLength += n;
        chunkLeft -= n;
        if (pendingLength == CHUNK) {
            flushChunk();
        }
        if (chunkLeft == 0) {
            state = State.CHUNK_LENGTH;
        }
    }

    private void flushChunk() throws IOException {
        if (pendingLength > 0) {
            emitInt(pendingLength);
            emit(pending, 0, pendingLength);
            chunksOut++;
            pendingLength = 0;
        }
    }

    /** Collects an int that may arrive split over writes into {@link #intValue}; false until it is complete. */
    private boolean readInt(ByteBuffer src) throws IOException {
        while (intHave < 1 + intSize && src.hasRemaining()) {
            intBytes[intHave++] = src.get();
        }
        if (intHave < 1 + intSize) {
            return false;
        }
        intHave = 0;
        long value = 0;
        for (int i = 0; i < intSize; i++) {
            value |= (long) (intBytes[1 + i] & 0xFF) << (8 * i);
        }
        if (value > Integer.MAX_VALUE) {
            throw new IOException("an int out of range in the archive's data");
        }
        intValue = (int) (intBytes[0] != 0 ? -value : value);
        return true;
    }

    private void through(String why) throws IOException {
        note = why;
        flushChunk();
        state = State.THROUGH;
    }

    // ---- output

    private void emitInt(int value) throws IOException {
        byte[] b = new byte[1 + intSize];
        b[0] = (byte) (value < 0 ? 1 : 0);
        long v = Math.abs((long) value);
        for (int i = 0; i < intSize; i++) {
            b[1 + i] = (byte) (v & 0xFF);
            v >>>= 8;
        }
        emit(b, 0, b.length);
    }

    private void emit(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (!out.hasRemaining()) {
                flushOut();
            }
            int n = Math.min(len, out.remaining());
            out.put(b, off, n);
            off += n;
            len -= n;
        }
    }

    private void flushOut() throws IOException {
        out.flip();
        while (out.hasRemaining()) {
            written += file.write(out);
        }
        out.clear();
    }
}
