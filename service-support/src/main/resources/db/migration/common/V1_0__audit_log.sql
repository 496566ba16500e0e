-- Audit log of control actions, in the schema of the service that owns them (services never share tables).
-- Versions X_0 belong to service-support; each service numbers its own migrations X_1, X_2, ...
CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    recorded_at timestamptz NOT NULL,
    hlc         bigint      NOT NULL,
    actor       text        NOT NULL,
    roles       text        NOT NULL,
    action      text        NOT NULL,
    target      text        NOT NULL,
    reason      text,
    outcome     text        NOT NULL CHECK (outcome IN ('SUCCEEDED', 'REJECTED', 'FAILED')),
    detail      text,
    before_state jsonb,
    after_state  jsonb
);
CREATE INDEX audit_log_recorded_at ON audit_log (recorded_at DESC);
CREATE INDEX audit_log_target ON audit_log (target, recorded_at DESC);
