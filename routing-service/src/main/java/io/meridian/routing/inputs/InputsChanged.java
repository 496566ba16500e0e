package io.meridian.routing.inputs;

/**
 * Published (as a Spring application event) whenever an input of the routing tables changed: a region,
 * a health score, a fencing, a measured latency or a policy. Policy and latency changes publish it
 * inside their transaction, marked {@code stored}: the tables re-read the policies and latencies from
 * the database after commit, then recompile. (Re-reading inside the transaction raced with the periodic
 * refresh, which could replace the cache with a read taken before the commit, so a policy answered
 * 201 could stay unrouted until the next refresh.)
 *
 * @param cause         what changed, for logs
 * @param receivedNanos {@link System#nanoTime()} when the change arrived, to time its publication
 * @param stored        whether the change is in the database-held inputs (policies, measured latencies)
 */
public record InputsChanged(String cause, long receivedNanos, boolean stored) {

    /** A change that arrived now, held in memory (region, health, fencing). */
    public static InputsChanged now(String cause) {
        return new InputsChanged(cause, System.nanoTime(), false);
    }

    /** A change of the policies or measured latencies, made now in the database. */
    public static InputsChanged stored(String cause) {
        return new InputsChanged(cause, System.nanoTime(), true);
    }
}
