package io.meridian.failover.execution;

import java.time.Instant;

/**
 * One carried-out step of an operation.
 *
 * @param state          the step
 * @param startedAt      when it started
 * @param endedAt        when it ended
 * @param durationMillis how long it took
 * @param executor       the instance that carried it out
 * @param token          the executor lease's fencing token it held
 * @param ok             whether it succeeded
 * @param detail         what was done or why it failed
 */
public record Step(OperationState state, Instant startedAt, Instant endedAt, long durationMillis, String executor, long token, boolean ok,
        String detail) {
}
