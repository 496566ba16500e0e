-- The operation an audited action was part of (the request's X-Request-Id, or a deployment's, failover's or
-- backup run's id), as the log lines of that operation carry it. Versions X_0 belong to service-support; a
-- service's own migrations keep their numbering (flyway out-of-order is on, so 1_4 may follow 2_0).
ALTER TABLE audit_log ADD COLUMN operation text;
CREATE INDEX audit_log_operation ON audit_log (operation) WHERE operation IS NOT NULL;
