package io.meridian.backup.storage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import org.jspecify.annotations.Nullable;

/**
 * A channel that hands what is written to it to a thread of its own, which writes it on into {@code target}; the writer
 * goes on as soon as its bytes are copied into one of a few buffers. A restore decompresses on one thread and lays out and
 * writes the archive on this one, so the two overlap on two cores instead of taking turns.
 *
 * <p>Why by hand: {@code java.nio.channels.Pipe} would copy every byte twice through a 64 KB kernel buffer (and
 * {@code PipedInputStream} wakes its reader only once a second or when its buffer is full); this hands over whole buffers.
 * A failure on the writing thread is thrown by the next {@link #write} or by {@link #close}; {@link #abandon} stops the
 * thread without writing what is left.
 */
final class HandoffChannel implements WritableByteChannel {

    private static final ByteBuffer END = ByteBuffer.allocate(0);

    private final WritableByteChannel target;
    private final BlockingQueue<ByteBuffer> free;
    private final BlockingQueue<ByteBuffer> filled;
    private final Thread writer;
    private volatile @Nullable Throwable failure;
    private @Nullable ByteBuffer current;
    private boolean closed;

    HandoffChannel(WritableByteChannel target, int buffers, int bufferSize, String threadName) {
        this.target = target;
        this.free = new ArrayBlockingQueue<>(buffers);
        this.filled = new ArrayBlockingQueue<>(buffers + 1);
        for (int i = 0; i < buffers; i++) {
            free.add(ByteBuffer.allocateDirect(bufferSize));
        }
        this.writer = Thread.ofPlatform().daemon().name(threadName).start(this::drain);
    }

    private void drain() {
        try {
            while (true) {
                ByteBuffer next = filled.take();
                if (next == END) {
                    return;
                }
                if (failure == null) {
                    try {
                        while (next.hasRemaining()) {
                            target.write(next);
                        }
                    } catch (IOException | RuntimeException e) {
                        // later buffers are taken and dropped, so the writing side never blocks on a dead consumer
                        failure = e;
                    }
                }
                next.clear();
                free.add(next);
            }
        } catch (InterruptedException e) {
            // abandoned
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        rethrow();
        int n = src.remaining();
        while (src.hasRemaining()) {
            ByteBuffer buffer = current;
            if (buffer == null) {
                buffer = take();
                current = buffer;
            }
            int take = Math.min(buffer.remaining(), src.remaining());
            ByteBuffer slice = src.slice(src.position(), take);
            buffer.put(slice);
            src.position(src.position() + take);
            if (!buffer.hasRemaining()) {
                hand(buffer);
            }
        }
        return n;
    }

    private ByteBuffer take() throws IOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing bytes over");
        }
    }

    private void hand(ByteBuffer buffer) throws IOException {
        current = null;
        buffer.flip();
        try {
            filled.put(buffer);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing bytes over");
        }
        rethrow();
    }

    private void rethrow() throws IOException {
        Throwable thrown = failure;
        if (thrown instanceof IOException io) {
            throw new IOException(io.getMessage(), io);
        }
        if (thrown instanceof RuntimeException runtime) {
            throw runtime;
        }
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    /** Hands over what is left and waits until the writing thread has written everything (or failed). */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        ByteBuffer buffer = current;
        if (buffer != null && buffer.position() > 0) {
            hand(buffer);
        }
        try {
            filled.put(END);
            writer.join();
        } catch (InterruptedException e) {
            writer.interrupt();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the last bytes were written");
        }
        rethrow();
    }

    /**
     * Stops the writing thread without writing what is still queued (after the write in progress, if any: interrupting it
     * would close the target's file). Does nothing after {@link #close()}.
     */
    void abandon() {
        if (closed && !writer.isAlive()) {
            return;
        }
        closed = true;
        filled.clear();
        try {
            filled.put(END);
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
