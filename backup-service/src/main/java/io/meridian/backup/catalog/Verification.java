package io.meridian.backup.catalog;

/** How far a backup is verified after it is written. */
public enum Verification {
    /** Checksums at upload only (each part's SHA-256 checked by the server). */
    NONE,
    /** Every copy re-read and checked against the manifest. */
    CHECKSUM,
    /** As CHECKSUM, then a restore into a scratch database compared table by table with the digests taken at dump time. */
    RESTORE_TEST
}
