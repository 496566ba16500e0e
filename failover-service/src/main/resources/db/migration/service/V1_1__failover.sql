-- failover-service: watched clusters, the executor lease, operations (failover, switchover, rejoin) with their
-- history, decisions and drills. Versions X_0 belong to service-support (audit_log).

-- Watched primary/standby clusters; body is the whole cluster with each member's current role.
CREATE TABLE clusters (
    name       text PRIMARY KEY,
    body       jsonb       NOT NULL,
    version    bigint      NOT NULL,
    updated_at timestamptz NOT NULL
);

-- The executor lease: holder, fencing token (incremented by every acquisition), expiry by the database's clock.
CREATE TABLE executor_lease (
    name        text PRIMARY KEY,
    holder      text,
    token       bigint      NOT NULL,
    acquired_at timestamptz,
    expires_at  timestamptz NOT NULL
);
INSERT INTO executor_lease (name, holder, token, expires_at) VALUES ('failover-executor', NULL, 0, '-infinity');

-- Operations; body is the whole operation (steps, times, measurements). token: the fencing token of the last writer.
CREATE TABLE operations (
    id          text PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('FAILOVER', 'SWITCHOVER', 'REJOIN')),
    cluster     text        NOT NULL,
    from_region text        NOT NULL,
    to_region   text,
    state       text        NOT NULL,
    terminal    boolean     NOT NULL,
    body        jsonb       NOT NULL,
    version     bigint      NOT NULL,
    token       bigint,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
-- At most one unfinished operation per cluster.
CREATE UNIQUE INDEX operations_one_running_per_cluster ON operations (cluster) WHERE NOT terminal;
CREATE INDEX operations_created ON operations (created_at DESC);

-- Changes of a cluster's quorum decision, as the executor saw them: why it acted or held.
CREATE TABLE decisions (
    id         bigserial PRIMARY KEY,
    cluster    text        NOT NULL,
    decided_at timestamptz NOT NULL,
    code       text        NOT NULL,
    act        boolean     NOT NULL,
    body       jsonb       NOT NULL
);
CREATE INDEX decisions_cluster ON decisions (cluster, id DESC);

-- Drills: faults injected on purpose, with the moment of injection.
CREATE TABLE drills (
    id          text PRIMARY KEY,
    cluster     text        NOT NULL,
    region      text        NOT NULL,
    action      text        NOT NULL,
    injected_at timestamptz NOT NULL,
    body        jsonb       NOT NULL
);
CREATE INDEX drills_region ON drills (region, injected_at DESC);
