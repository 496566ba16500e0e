package io.meridian.stack;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Polling with a deadline, for the places where the only way to know that something is ready is to
 * ask again. Every wait names what it awaits so that a timeout says what did not happen.
 *
 * <p>The poll pauses use {@link LockSupport#parkNanos(long)}; an interrupt ends the wait with an
 * {@link IllegalStateException} and keeps the thread's interrupt flag set.
 */
public final class Waits {

    /** The pause between two polls unless a caller chooses another. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(50);

    private Waits() {
    }

    /**
     * Polls {@code condition} every {@link #DEFAULT_POLL_INTERVAL} until it holds.
     *
     * @param what what is awaited, for the timeout message (e.g. "PostgreSQL pg-eu to accept connections")
     * @param timeout how long to wait at most
     * @param condition the condition; an exception it throws ends the wait and propagates
     * @throws IllegalStateException if the condition does not hold within {@code timeout}
     */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, DEFAULT_POLL_INTERVAL, condition, () -> "");
    }

    /**
     * Polls {@code condition} every {@code pollInterval} until it holds.
     *
     * @param what what is awaited, for the timeout message
     * @param timeout how long to wait at most
     * @param pollInterval the pause between two polls
     * @param condition the condition; an exception it throws ends the wait and propagates
     * @param diagnostics extra text appended to the timeout message (e.g. a log tail); evaluated only on timeout
     * @throws IllegalStateException if the condition does not hold within {@code timeout}
     */
    public static void until(String what, Duration timeout, Duration pollInterval, BooleanSupplier condition,
            Supplier<String> diagnostics) {
        Objects.requireNonNull(what, "what");
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            if (condition.getAsBoolean()) {
                return;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                String extra = diagnostics.get();
                throw new IllegalStateException("Timed out after " + timeout.toMillis() + " ms waiting for " + what
                        + (extra.isBlank() ? "" : "\n" + extra));
            }
            pause(Duration.ofNanos(Math.min(pollInterval.toNanos(), deadline - now)));
        }
    }

    /**
     * Pauses the current thread for {@code duration} (or until interrupted).
     *
     * @param duration how long to pause
     * @throws IllegalStateException if the thread is interrupted; the interrupt flag stays set
     */
    public static void pause(Duration duration) {
        long end = System.nanoTime() + duration.toNanos();
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
            if (Thread.currentThread().isInterrupted()) {
                throw new IllegalStateException("Interrupted while waiting");
            }
        }
    }
}
