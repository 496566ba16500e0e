package io.meridian.backup.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** Bytes handed to another thread arrive whole and in order; its failures reach the writer; abandoning stops it. */
class HandoffChannelTests {

    /** Collects what reaches it, a little at a time (as a file may take less than it is offered), on the handoff's thread. */
    private static final class Collecting implements WritableByteChannel {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        volatile String thread;
        volatile boolean open = true;

        @Override
        public int write(ByteBuffer src) {
            thread = Thread.currentThread().getName();
            int n = Math.min(src.remaining(), 100_000);
            byte[] b = new byte[n];
            src.get(b);
            bytes.write(b, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    /** What a test target does with each write: take every byte of {@code src} (or fail), given its length. */
    private interface Sink {
        void take(int length) throws IOException;
    }

    /** A target that takes every byte offered to it, after {@code sink} (an always-open channel the test never closes). */
    private static WritableByteChannel target(Sink sink) {
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                int n = src.remaining();
                sink.take(n);
                src.position(src.limit());
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void everythingWrittenArrivesInOrderOnTheOtherThread() throws IOException {
        byte[] data = new byte[5_000_000];
        new Random(1).nextBytes(data);
        Collecting target = new Collecting();
        HandoffChannel handoff = new HandoffChannel(target, 2, 64 * 1024, "handoff-test");
        Random pieces = new Random(2);
        for (int offset = 0; offset < data.length; ) {
            int n = Math.min(data.length - offset, 1 + pieces.nextInt(200_000));
            ByteBuffer src = pieces.nextBoolean() ? ByteBuffer.wrap(data, offset, n) : ByteBuffer.allocateDirect(n).put(data, offset, n).flip();
            assertThat(handoff.write(src)).isEqualTo(n);
            assertThat(src.hasRemaining()).isFalse();
            offset += n;
        }
        handoff.close();
        handoff.abandon(); // after close: nothing to stop
        assertThat(target.bytes.toByteArray()).isEqualTo(data);
        assertThat(target.thread).isEqualTo("handoff-test");
        assertThat(target.open).as("the target belongs to the caller").isTrue();
        assertThatThrownBy(() -> handoff.write(ByteBuffer.allocate(1))).isInstanceOf(IOException.class);
    }

    @Test
    void aFailureOfTheTargetReachesTheWriterAndNothingBlocks() {
        AtomicInteger writes = new AtomicInteger();
        WritableByteChannel full = target(n -> {
            if (writes.incrementAndGet() == 3) {
                throw new IOException("No space left on device");
            }
        });
        HandoffChannel handoff = new HandoffChannel(full, 2, 1024, "handoff-failing");
        assertThatThrownBy(() -> {
            for (int i = 0; i < 1000; i++) {
                handoff.write(ByteBuffer.allocate(1024));
            }
            handoff.close();
        }).isInstanceOf(IOException.class).hasMessageContaining("No space left on device");
        assertThatThrownBy(handoff::close).isInstanceOf(IOException.class);
    }

    @Test
    void abandoningStopsTheThreadWithoutWritingWhatIsQueued() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger written = new AtomicInteger();
        WritableByteChannel slow = target(n -> {
            entered.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted: a file channel would have been closed");
            }
            written.addAndGet(n);
        });
        HandoffChannel handoff = new HandoffChannel(slow, 3, 1000, "handoff-abandoned");
        for (int i = 0; i < 3; i++) {
            handoff.write(ByteBuffer.allocate(1000));
        }
        entered.await();
        Thread abandoning = Thread.ofPlatform().start(handoff::abandon);
        Thread.ofPlatform().start(() -> {
            // the write in progress ends by itself, later
            while (abandoning.getState() != Thread.State.WAITING && abandoning.isAlive()) {
                Thread.onSpinWait();
            }
            release.countDown();
        });
        abandoning.join(10_000);
        assertThat(abandoning.isAlive()).isFalse();
        assertThat(written.get()).as("only the write that was in progress").isEqualTo(1000);
    }
}
