package io.meridian.backup.catalog;

/** What a backup holds. */
public enum BackupKind {
    /** {@code pg_dump -Fc} of one database. */
    LOGICAL,
    /** {@code pg_basebackup} tar stream of a whole cluster, WAL included. */
    PHYSICAL,
    /** The resources of one Kubernetes namespace. */
    KUBERNETES
}
