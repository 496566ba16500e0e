-- Recovery after a crash: who runs each backup and restore (instance name and incarnation, fencing
-- every write), the multipart upload to abort, the spec to start a fresh run from, the restore test's
-- scratch database, and the names of the temporary database or directory a restore creates (so that whoever finds it interrupted can
-- remove them). Rows written before this migration have no owner: they are judged by heartbeat age.

ALTER TABLE backup ADD COLUMN owner text;
ALTER TABLE backup ADD COLUMN upload_region text;
ALTER TABLE backup ADD COLUMN upload_key text;
ALTER TABLE backup ADD COLUMN upload_id text;
ALTER TABLE backup ADD COLUMN copy_targets text;                 -- comma-separated region ids
ALTER TABLE backup ADD COLUMN server_side_encryption boolean;
ALTER TABLE backup ADD COLUMN attempt integer NOT NULL DEFAULT 1;
ALTER TABLE backup ADD COLUMN retry_of uuid REFERENCES backup (id) ON DELETE SET NULL;
ALTER TABLE backup ADD COLUMN scratch_database text;             -- meridian_restore_test_* while a restore test runs
CREATE INDEX backup_running ON backup (status) WHERE status = 'RUNNING';

ALTER TABLE restore_op ADD COLUMN owner text;
ALTER TABLE restore_op ADD COLUMN temporary_name text;           -- meridian_restoring_* database or staging directory
ALTER TABLE restore_op ADD COLUMN retired_name text;             -- where a replaced target is moved aside
CREATE INDEX restore_running ON restore_op (status) WHERE status = 'RUNNING';
