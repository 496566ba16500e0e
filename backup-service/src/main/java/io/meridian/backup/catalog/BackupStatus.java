package io.meridian.backup.catalog;

/** Where a backup is in its life. */
public enum BackupStatus {
    /** Being written, copied or verified. */
    RUNNING,
    /** Written with its manifest (and copied); not (yet) verified by re-reading. */
    COMPLETED,
    /** Every copy re-read and matched its manifest (and the restore test passed, when asked for). */
    VERIFIED,
    /** A copy did not match its manifest, or the restore test found different contents. */
    CORRUPT,
    /** The run failed; nothing usable was stored. */
    FAILED,
    /**
     * The instance running it stopped (crash, kill, lost heartbeat); the lease holder aborted its
     * uploads, removed what it had stored, and started a fresh run when retries allow.
     */
    INTERRUPTED,
    /** Removed by retention or by an administrator; the objects are gone. */
    DELETED
}
