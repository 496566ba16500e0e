package io.meridian.failover.execution;

/**
 * Told before the executor carries out each step of an operation (metrics, tracing, and the tests, which hold an
 * executor in the middle of a failover to take it over with another instance).
 */
public interface StepListener {

    /**
     * Called on the executor's thread before it carries out {@code op}'s current step.
     *
     * @param op       the operation, at the step about to run
     * @param executor this instance's name
     */
    void beforeStep(Operation op, String executor);
}
