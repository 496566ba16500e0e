package io.meridian.backup.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.nio.file.ExtendedOpenOption;

/**
 * Extracts a tar stream (the ustar archives {@code pg_basebackup -Ft} writes) into a directory as
 * the bytes arrive, so that a restore writes each byte once instead of spooling the archive to a
 * file and untarring it afterwards. Deliberately strict, because it writes what a stream says:
 * only regular files and directories (no links, devices, pax or GNU extensions, which a
 * single-tablespace base backup never holds), every header's checksum checked, no name that is
 * absolute, holds {@code ..} or would land outside the directory, no file written twice, and the
 * stream must end with the end-of-archive blocks ({@link #close()} throws otherwise). Modes are
 * kept (permission bits only); owners are not (the caller owns the directory).
 *
 * <p>Every file is fsynced as soon as it is complete, on a background thread while the next ones are written (as pgBackRest
 * syncs each file it restores), and {@link #close()} returns only when all are on disk. PostgreSQL syncs the whole data
 * directory when it starts on a base backup; done this way that finds nothing left to write, instead of writing back the
 * whole archive after the last byte arrived (1.5 s for 2 GB here, in series with everything else).
 *
 * <p>With direct writes (the default for restores) every file of {@value #DIRECT_MIN} bytes or more is written with
 * {@code O_DIRECT}, past the page cache, through one block-aligned buffer: the last block is padded and the file cut back
 * to its size. Copying 2 GB into fresh page-cache pages cost this VM 4-8.5 s of system time (`dd conv=fsync`: 4.0-9.9 s)
 * against 0.4 s written directly (2.0-2.3 s), and a restore is written once and read by PostgreSQL later, so the page
 * cache bought nothing; nor does a restore push other databases' pages out of it. Where the file system refuses
 * {@code O_DIRECT} (tmpfs), files are written through the page cache as before. No library does this for a tar stream.
 */
public final class TarExtractor extends OutputStream {

    private static final Logger log = LoggerFactory.getLogger(TarExtractor.class);
    private static final int BLOCK = 512;
    /** Files this large or larger are written with O_DIRECT (smaller ones are not worth a device round trip each). */
    static final int DIRECT_MIN = 256 * 1024;
    /** The aligned buffer direct writes go through: each write to the device is this large, but the last of a file. */
    private static final int DIRECT_BUFFER = 4 << 20;
    /** Files waiting for their fsync before the extraction waits (open descriptors are bounded by this). */
    private static final int MAX_QUEUED_SYNCS = 64;

    private enum State { HEADER, DATA, PADDING, END }

    private final Path root;
    private final byte[] header = new byte[BLOCK];
    private int headerFill;
    private State state = State.HEADER;
    private int zeroBlocks;
    private @Nullable FileChannel current;
    private @Nullable Path currentPath;
    private int currentMode;
    private long remaining;
    private long padding;
    private long files;
    private long directories;
    private long fileBytes;
    private boolean closed;
    /** Completed files being fsynced on the syncer thread, oldest first. */
    private final Deque<Future<?>> syncs = new ArrayDeque<>();
    private @Nullable ExecutorService syncer;
    /** The block size O_DIRECT writes are aligned to; 0 when files are written through the page cache. */
    private int alignment;
    /** The current file's unwritten tail, block-aligned in memory, when it is written directly. */
    private @Nullable ByteBuffer direct;
    /** The aligned buffer of {@link #DIRECT_BUFFER} bytes, allocated at the first directly written file. */
    private @Nullable ByteBuffer alignedBuffer;
    private long currentSize;

    /** Extracts into {@code root}, which must exist (normally an empty staging directory), through the page cache. */
    public TarExtractor(Path root) throws IOException {
        this(root, false);
    }

    /**
     * Extracts into {@code root}, which must exist (normally an empty staging directory); with {@code directWrites}, files
     * of {@value #DIRECT_MIN} bytes or more are written with O_DIRECT where the file system allows it.
     */
    public TarExtractor(Path root, boolean directWrites) throws IOException {
        this.root = root.toRealPath();
        if (directWrites) {
            try {
                alignment = Math.toIntExact(Files.getFileStore(this.root).getBlockSize());
            } catch (IOException | UnsupportedOperationException | ArithmeticException e) {
                log.info("Extracting into {} through the page cache: its block size is unknown ({})", this.root, e.toString());
            }
        }
    }

    /** Whether files of {@value #DIRECT_MIN} bytes or more are being written with O_DIRECT. */
    public boolean writesDirectly() {
        return alignment > 0;
    }

    /** Regular files written. */
    public long files() {
        return files;
    }

    /** Directories created. */
    public long directories() {
        return directories;
    }

    /** Bytes written into files. */
    public long fileBytes() {
        return fileBytes;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        if (closed) {
            throw new IOException("tar extraction into " + root + " is closed");
        }
        while (length > 0) {
            int n;
            switch (state) {
                case HEADER -> {
                    n = Math.min(length, BLOCK - headerFill);
                    System.arraycopy(data, offset, header, headerFill, n);
                    headerFill += n;
                    if (headerFill == BLOCK) {
                        headerFill = 0;
                        header();
                    }
                }
                case DATA -> {
                    n = (int) Math.min(length, remaining);
                    FileChannel channel = current;
                    ByteBuffer aligned = direct;
                    if (channel != null && aligned != null) {
                        int done = 0;
                        while (done < n) {
                            int m = Math.min(n - done, aligned.remaining());
                            aligned.put(data, offset + done, m);
                            done += m;
                            if (!aligned.hasRemaining()) {
                                writeDirect(channel, aligned);
                            }
                        }
                    } else if (channel != null) {
                        ByteBuffer buffer = ByteBuffer.wrap(data, offset, n);
                        while (buffer.hasRemaining()) {
                            channel.write(buffer);
                        }
                    }
                    remaining -= n;
                    fileBytes += n;
                    if (remaining == 0) {
                        endFile();
                    }
                }
                case PADDING -> {
                    n = (int) Math.min(length, padding);
                    padding -= n;
                    if (padding == 0) {
                        state = State.HEADER;
                    }
                }
                case END -> {
                    // after the end-of-archive blocks only zero padding may follow (tar pads to its record size)
                    n = length;
                    for (int i = offset; i < offset + length; i++) {
                        if (data[i] != 0) {
                            throw new IOException("data after the end of the tar archive");
                        }
                    }
                }
                default -> throw new IllegalStateException(state.name());
            }
            offset += n;
            length -= n;
        }
    }

    private void header() throws IOException {
        boolean zero = true;
        for (byte b : header) {
            if (b != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            zeroBlocks++;
            if (zeroBlocks == 2) {
                state = State.END;
            }
            return;
        }
        if (zeroBlocks > 0) {
            throw new IOException("a lone zero block inside the tar archive");
        }
        if (!new String(header, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
            throw new IOException("not a ustar header at entry " + (files + directories + 1));
        }
        long checksum = octal(148, 8);
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
        }
        if (sum != checksum) {
            throw new IOException("tar header checksum mismatch at entry " + (files + directories + 1));
        }
        String name = string(0, 100);
        String prefix = string(345, 155);
        if (!prefix.isEmpty()) {
            name = prefix + "/" + name;
        }
        Path path = resolve(name);
        int mode = (int) octal(100, 8) & 0777;
        long size = octal(124, 12);
        char type = (char) header[156];
        switch (type) {
            case '0', '\0' -> {
                Files.createDirectories(path.getParent());
                current = open(path, size);
                currentSize = size;
                currentPath = path;
                currentMode = mode;
                remaining = size;
                padding = (BLOCK - size % BLOCK) % BLOCK;
                files++;
                if (size == 0) {
                    endFile();
                } else {
                    state = State.DATA;
                }
            }
            case '5' -> {
                if (size != 0) {
                    throw new IOException("tar directory entry " + name + " has a size");
                }
                Files.createDirectories(path);
                Files.setPosixFilePermissions(path, permissions(mode | 0700));
                directories++;
            }
            default -> throw new IOException("tar entry " + name + " has type '" + type + "'; only files and directories are extracted"
                    + " (links and extensions do not occur in a single-tablespace base backup)");
        }
    }

    /** Creates the file: with O_DIRECT when it is large enough and the file system takes it, else through the page cache. */
    private FileChannel open(Path path, long size) throws IOException {
        direct = null;
        if (alignment > 0 && size >= DIRECT_MIN) {
            try {
                FileChannel channel = FileChannel.open(path, Set.<OpenOption>of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        ExtendedOpenOption.DIRECT));
                direct = directBuffer();
                return channel;
            } catch (FileAlreadyExistsException e) {
                throw e; // the entry is written twice
            } catch (IOException | UnsupportedOperationException e) {
                // CREATE_NEW made the file before the flag was refused (Linux checks O_DIRECT after creating it)
                Files.deleteIfExists(path);
                log.info("Extracting into {} through the page cache: O_DIRECT refused ({})", root, e.toString());
                alignment = 0;
            }
        }
        return FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    /** The one aligned buffer every directly written file goes through (empty). */
    private ByteBuffer directBuffer() {
        ByteBuffer buffer = alignedBuffer;
        if (buffer == null) {
            buffer = ByteBuffer.allocateDirect(DIRECT_BUFFER + alignment).alignedSlice(alignment);
            alignedBuffer = buffer;
        }
        return buffer.clear();
    }

    /** Writes the aligned buffer's contents (a multiple of the block size) at the file's aligned position, and empties it. */
    private static void writeDirect(FileChannel channel, ByteBuffer aligned) throws IOException {
        aligned.flip();
        while (aligned.hasRemaining()) {
            channel.write(aligned);
        }
        aligned.clear();
    }

    private void endFile() throws IOException {
        FileChannel channel = current;
        Path path = currentPath;
        ByteBuffer aligned = direct;
        if (channel != null && aligned != null && aligned.position() > 0) {
            // the last block: padded with zeros to the block size, written, and the file cut back to its size
            int tail = aligned.position();
            int padded = (tail + alignment - 1) / alignment * alignment;
            while (aligned.position() < padded) {
                aligned.put((byte) 0);
            }
            writeDirect(channel, aligned);
            if (padded != tail) {
                channel.truncate(currentSize);
            }
        }
        direct = null;
        current = null;
        currentPath = null;
        if (path != null) {
            Files.setPosixFilePermissions(path, permissions(currentMode | 0600));
        }
        if (channel != null) {
            sync(channel);
        }
        state = padding > 0 ? State.PADDING : State.HEADER;
    }

    /** Hands a complete file to the syncer thread (fsync, close); waits for the oldest when many are queued. */
    private void sync(FileChannel channel) throws IOException {
        ExecutorService executor = syncer;
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("tar-fsync").factory());
            syncer = executor;
        }
        syncs.add(executor.submit(() -> {
            try (channel) {
                channel.force(true);
            }
            return null;
        }));
        while (syncs.size() > MAX_QUEUED_SYNCS) {
            await(syncs.removeFirst());
        }
    }

    private static void await(Future<?> sync) throws IOException {
        try {
            sync.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("fsync of an extracted file failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while syncing extracted files");
        }
    }

    /** Waits until every complete file is on disk, then stops the syncer thread. */
    private void awaitSyncs() throws IOException {
        try {
            while (!syncs.isEmpty()) {
                await(syncs.removeFirst());
            }
        } finally {
            stopSyncer();
        }
    }

    private void stopSyncer() {
        ExecutorService executor = syncer;
        syncer = null;
        if (executor != null) {
            executor.shutdown();
        }
    }

    /** The entry's place under the root; a name that is absolute, holds {@code ..} or leaves the root is refused. */
    private Path resolve(String name) throws IOException {
        String relative = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        if (relative.startsWith("./")) {
            relative = relative.substring(2);
        }
        if (relative.isEmpty() || relative.equals(".")) {
            return root;
        }
        if (relative.startsWith("/") || relative.indexOf('\\') >= 0) {
            throw new IOException("tar entry name " + name + " is not a relative path");
        }
        for (String segment : relative.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IOException("tar entry name " + name + " has an empty, '.' or '..' segment");
            }
        }
        Path path = root.resolve(relative).normalize();
        if (!path.startsWith(root) || path.equals(root)) {
            throw new IOException("tar entry name " + name + " leaves the target directory");
        }
        // a parent that exists must be a real directory inside the root (never a link planted earlier: links are refused)
        for (Path p = path.getParent(); p != null && !p.equals(root); p = p.getParent()) {
            if (Files.isSymbolicLink(p)) {
                throw new IOException("tar entry name " + name + " passes through a symbolic link");
            }
        }
        return path;
    }

    private String string(int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.UTF_8);
    }

    private long octal(int offset, int length) throws IOException {
        if ((header[offset] & 0x80) != 0) {
            throw new IOException("tar header uses a base-256 number (an entry larger than 8 GB); not produced by pg_basebackup");
        }
        long value = 0;
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            i++;
        }
        for (; i < end && header[i] != 0 && header[i] != ' '; i++) {
            int digit = header[i] - '0';
            if (digit < 0 || digit > 7) {
                throw new IOException("tar header has a non-octal number at offset " + offset);
            }
            value = value * 8 + digit;
        }
        return value;
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }

    /** Checks that the archive ended properly; a stream that stops inside an entry or without the end blocks is refused. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        FileChannel channel = current;
        if (channel != null) {
            channel.close();
        }
        awaitSyncs();
        if (state != State.END) {
            throw new IOException("the tar archive ends " + switch (state) {
                case DATA -> "inside " + root.relativize(currentPath == null ? root : currentPath) + " (" + remaining + " bytes missing)";
                case HEADER -> headerFill > 0 ? "inside a header" : "without its end-of-archive blocks";
                default -> "inside an entry's padding";
            });
        }
    }

    /** Closes an open file without the end-of-archive check (after a failure elsewhere). */
    public void abandon() {
        closed = true;
        FileChannel channel = current;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the staging directory it belongs to is removed whole by the caller
            }
        }
        // the queued syncs still close their files; their outcome no longer matters
        syncs.clear();
        stopSyncer();
    }
}
