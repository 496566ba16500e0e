package io.meridian.routing.inputs;

/**
 * Published (as a Spring application event) whenever an input of the routing tables changed: a region,
 * a health score, a fencing, a measured latency or a policy. Policy and latency changes publish it
 * inside their transaction, so tables are recompiled after commit.
 *
 * @param cause         what changed, for logs
 * @param receivedNanos {@link System#nanoTime()} when the change arrived, to time its publication
 */
public record InputsChanged(String cause, long receivedNanos) {

    /** A change that arrived now. */
    public static InputsChanged now(String cause) {
        return new InputsChanged(cause, System.nanoTime());
    }
}
