package io.meridian.failover.database;

/**
 * A managed database did not do what was asked: it could not be reached, did not answer in time, or refused.
 */
public class DatabaseException extends RuntimeException {

    /** How the call failed. */
    public enum Kind {
        /** No connection could be opened (refused, reset, unknown host). */
        UNREACHABLE,
        /** Nothing answered within the timeout: a frozen or overloaded server, or a black-holed network. */
        TIMEOUT,
        /** Connected, but a statement failed. */
        REFUSED
    }

    private final Kind kind;

    public DatabaseException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public DatabaseException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
