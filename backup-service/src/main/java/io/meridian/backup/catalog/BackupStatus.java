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
    /** Removed by retention or by an administrator; the objects are gone. */
    DELETED
}
