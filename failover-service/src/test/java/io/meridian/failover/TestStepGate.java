package io.meridian.failover;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

import io.meridian.failover.execution.Operation;
import io.meridian.failover.execution.OperationState;
import io.meridian.failover.execution.StepListener;

/**
 * Lets a test hold one instance's executor right before a chosen step of an operation on a chosen cluster, as if
 * the instance had frozen there (its thread stops, so it stops renewing the lease too).
 */
@Component
public class TestStepGate implements StepListener {

    /** One armed stop. */
    static final class Arm {
        final String executor;
        final String cluster;
        final OperationState state;
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch passed = new CountDownLatch(1);

        Arm(String executor, String cluster, OperationState state) {
            this.executor = executor;
            this.cluster = cluster;
            this.state = state;
        }

        /** Lets the held executor go on. */
        void release() {
            release.countDown();
        }
    }

    private volatile @Nullable Arm arm;

    /** Holds {@code executor} the next time it is about to carry out {@code state} of an operation on {@code cluster}. */
    Arm arm(String executor, String cluster, OperationState state) {
        Arm next = new Arm(executor, cluster, state);
        arm = next;
        return next;
    }

    @Override
    public void beforeStep(Operation op, String executor) {
        Arm current = arm;
        if (current == null || !current.executor.equals(executor) || !current.cluster.equals(op.cluster()) || op.state() != current.state) {
            return;
        }
        arm = null;
        current.reached.countDown();
        try {
            current.release.await(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            current.passed.countDown();
        }
    }
}
