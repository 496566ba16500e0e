-- Backup policies, the catalog (backups and their copies), restores, and the scheduler lease.

CREATE TABLE backup_policy (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL UNIQUE,
    kind                text NOT NULL,              -- LOGICAL | PHYSICAL
    region              text NOT NULL,
    source              text NOT NULL,              -- database name
    cron                text NOT NULL,
    retention_count     integer NOT NULL,
    retention_max_age_s bigint NOT NULL,
    copy_targets        text NOT NULL,              -- comma-separated region ids
    verification        text NOT NULL,              -- NONE | CHECKSUM | RESTORE_TEST
    server_side_encryption boolean NOT NULL,
    enabled             boolean NOT NULL,
    created_at          timestamptz NOT NULL,
    last_scheduled_at   timestamptz NOT NULL
);

CREATE TABLE backup (
    id              uuid PRIMARY KEY,
    policy_id       uuid REFERENCES backup_policy (id) ON DELETE SET NULL,
    kind            text NOT NULL,                  -- LOGICAL | PHYSICAL | KUBERNETES
    region          text NOT NULL,
    source          text NOT NULL,                  -- database or namespace
    zone            text NOT NULL,
    trigger_kind    text NOT NULL,                  -- SCHEDULED | ON_DEMAND
    scheduled_for   timestamptz,
    status          text NOT NULL,                  -- RUNNING | COMPLETED | VERIFIED | CORRUPT | FAILED | DELETED
    phase           text,
    verification    text NOT NULL,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    heartbeat_at    timestamptz NOT NULL,
    size_bytes      bigint,
    sha256          text,
    part_count      integer,
    object_key      text,
    manifest_key    text,
    manifest_sha256 text,
    source_lsn      text,
    source_time     timestamptz,
    restore_test    jsonb,
    error           text,
    -- fencing: a fire time of a policy is claimed once, whichever instance holds the lease
    UNIQUE (policy_id, scheduled_for)
);
CREATE INDEX backup_source ON backup (region, source, started_at DESC);

CREATE TABLE backup_copy (
    backup_id    uuid NOT NULL REFERENCES backup (id) ON DELETE CASCADE,
    region       text NOT NULL,
    bucket       text NOT NULL,
    object_key   text NOT NULL,
    manifest_key text NOT NULL,
    status       text NOT NULL,                     -- PENDING | AVAILABLE | VERIFIED | CORRUPT | FAILED | DELETED
    verified_at  timestamptz,
    detail       text,
    PRIMARY KEY (backup_id, region)
);

CREATE TABLE restore_op (
    id            uuid PRIMARY KEY,
    backup_id     uuid NOT NULL REFERENCES backup (id),
    kind          text NOT NULL,
    target_region text NOT NULL,
    target        text NOT NULL,                    -- database, namespace or data directory name
    mode          text NOT NULL,                    -- NEW | REPLACE
    source_region text,
    status        text NOT NULL,                    -- RUNNING | SUCCEEDED | FAILED | CANCELLED
    phase         text NOT NULL,
    bytes_done    bigint NOT NULL DEFAULT 0,
    bytes_total   bigint NOT NULL DEFAULT 0,
    requested_by  text NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    heartbeat_at  timestamptz NOT NULL,
    result        jsonb,
    error         text
);

-- ShedLock's table (net.javacrumbs.shedlock JdbcTemplateLockProvider)
CREATE TABLE shedlock (
    name       varchar(64) PRIMARY KEY,
    lock_until timestamp NOT NULL,
    locked_at  timestamp NOT NULL,
    locked_by  varchar(255) NOT NULL
);
