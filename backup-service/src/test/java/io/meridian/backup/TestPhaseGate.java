package io.meridian.backup;

import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

import io.meridian.backup.catalog.PhaseListener;

/**
 * Holds a worker of this instance when it enters a chosen phase of a backup or restore, as if the
 * instance had frozen or died right there (its thread stops; the test stops its heartbeats too).
 */
@Component
public class TestPhaseGate implements PhaseListener {

    /** One armed stop. */
    public static final class Arm {
        final String operation;
        final String phase;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch passed = new CountDownLatch(1);
        volatile @Nullable UUID id;

        Arm(String operation, String phase) {
            this.operation = operation;
            this.phase = phase;
        }
    }

    private final AtomicReference<@Nullable Arm> arm = new AtomicReference<>();

    /** Holds the next worker that enters {@code phase} of an {@code operation} ({@code backup} or {@code restore}). */
    public Arm arm(String operation, String phase) {
        Arm next = new Arm(operation, phase);
        arm.set(next);
        return next;
    }

    @Override
    public void entering(String operation, UUID id, String phase) {
        Arm current = arm.get();
        if (current == null || !current.operation.equals(operation) || !current.phase.equals(phase) || !arm.compareAndSet(current, null)) {
            return;
        }
        current.id = id;
        current.reached.countDown();
        try {
            current.release.await(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            current.passed.countDown();
        }
    }
}
