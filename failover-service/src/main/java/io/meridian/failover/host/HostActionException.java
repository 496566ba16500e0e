package io.meridian.failover.host;

/** A host-level action (stop, kill, re-seed, drill) could not be done. */
public class HostActionException extends RuntimeException {

    public HostActionException(String message) {
        super(message);
    }

    public HostActionException(String message, Throwable cause) {
        super(message, cause);
    }
}
