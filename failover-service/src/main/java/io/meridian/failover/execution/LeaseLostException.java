package io.meridian.failover.execution;

/** This instance no longer holds the executor lease: it must not act; the new holder carries on. */
public class LeaseLostException extends RuntimeException {

    public LeaseLostException(String message) {
        super(message);
    }
}
