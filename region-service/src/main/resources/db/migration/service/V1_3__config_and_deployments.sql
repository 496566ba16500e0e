-- Per-region configuration: one template per service and value layers merged defaults < service < region < override.
CREATE TABLE config_templates (
    service    text PRIMARY KEY,
    body       jsonb       NOT NULL,
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text        NOT NULL
);

CREATE TABLE config_values (
    layer      text PRIMARY KEY,           -- defaults | service/<s> | region/<r> | override/<s>/<r>
    scope      text        NOT NULL CHECK (scope IN ('DEFAULTS', 'SERVICE', 'REGION', 'OVERRIDE')),
    service    text,
    region     text,
    body       jsonb       NOT NULL,
    version    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text        NOT NULL
);
CREATE INDEX config_values_service ON config_values (service);
CREATE INDEX config_values_region ON config_values (region);

-- The defaults every rendering starts from (replace them with PUT .../config/values/defaults).
INSERT INTO config_values (layer, scope, body, version, created_at, updated_at, updated_by) VALUES ('defaults', 'DEFAULTS', '{
  "image": {"registry": "docker.io", "pullPolicy": "IfNotPresent"},
  "port": 8080,
  "config": {},
  "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
  "probes": {"readinessPath": "/ready", "livenessPath": "/live"},
  "autoscaling": {"enabled": true, "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 70},
  "podDisruptionBudget": {"enabled": true, "minAvailable": 1},
  "drift": {"policy": "report"}
}', 1, now(), now(), 'system');

-- Deployments: service S at version V to a set of regions (or a rollback of one region), one state machine per region.
CREATE TABLE deployments (
    id           uuid PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('DEPLOY', 'ROLLBACK')),
    service      text        NOT NULL,
    version      text        NOT NULL,
    namespace    text        NOT NULL,
    state        text        NOT NULL,
    requested_by text        NOT NULL,
    reason       text,
    entity_version bigint    NOT NULL,
    total_regions      integer NOT NULL,
    unfinished_regions integer NOT NULL,  -- regions not SUCCEEDED or FAILED; the state is computed from these counters
    failed_regions     integer NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE INDEX deployments_service ON deployments (service, created_at DESC);

CREATE TABLE deployment_regions (
    deployment_id     uuid        NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    region            text        NOT NULL,
    service           text        NOT NULL,
    state             text        NOT NULL CHECK (state IN ('PENDING', 'APPLYING', 'ROLLING_OUT', 'SUCCEEDED', 'FAILED')),
    reason            text        NOT NULL,
    message           text,
    attempts          integer     NOT NULL DEFAULT 0,
    revision          integer,
    source_revision   integer,    -- for a rollback: the revision whose objects are applied again
    manifests         jsonb,      -- the rendered objects, fixed once rendered so a resumed run applies the same
    applied           jsonb,      -- what applying did to each object
    cluster           jsonb,      -- the workload status last read from the cluster
    rollout_started_at timestamptz,
    transitioned_at   timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    next_attempt_at   timestamptz NOT NULL,
    lease_holder      text,
    lease_token       bigint      NOT NULL DEFAULT 0,
    lease_until       timestamptz,
    PRIMARY KEY (deployment_id, region)
);
-- At most one unfinished deployment per service and region.
CREATE UNIQUE INDEX deployment_regions_one_active ON deployment_regions (service, region)
    WHERE state IN ('PENDING', 'APPLYING', 'ROLLING_OUT');
CREATE INDEX deployment_regions_due ON deployment_regions (next_attempt_at)
    WHERE state IN ('PENDING', 'APPLYING', 'ROLLING_OUT');
CREATE INDEX deployment_regions_region ON deployment_regions (region);

-- Every release of a service into a region, kept for rollback.
CREATE TABLE revisions (
    service         text        NOT NULL,
    region          text        NOT NULL,
    revision        integer     NOT NULL,
    version         text        NOT NULL,
    deployment_id   uuid        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('PENDING', 'DEPLOYED', 'SUPERSEDED', 'FAILED')),
    source_revision integer,
    checksum        text        NOT NULL,
    manifests       jsonb       NOT NULL,
    merged_values   jsonb,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (service, region, revision)
);
CREATE INDEX revisions_region ON revisions (region);

-- Out-of-band changes found in the clusters and what was done about them.
CREATE TABLE drift_findings (
    id          bigserial PRIMARY KEY,
    service     text        NOT NULL,
    region      text        NOT NULL,
    revision    integer     NOT NULL,
    object_kind text        NOT NULL,
    object_name text        NOT NULL,
    policy      text        NOT NULL,
    action      text        NOT NULL CHECK (action IN ('REPORTED', 'CORRECTED', 'CORRECTION_FAILED')),
    changes     jsonb       NOT NULL,
    fingerprint text        NOT NULL,
    detail      text,
    detected_at timestamptz NOT NULL
);
CREATE INDEX drift_findings_release ON drift_findings (service, region, detected_at DESC);

-- Named leases for singleton work (the drift watcher), fenced by an increasing token.
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text        NOT NULL,
    token      bigint      NOT NULL,
    expires_at timestamptz NOT NULL
);

-- Transactional outbox of the deployment events: written in the transaction of the change, sent in order
-- (per deployment, by seq) by one publisher at a time, deleted once the broker acknowledged them.
CREATE TABLE deployment_outbox (
    seq        bigserial PRIMARY KEY,
    topic      text        NOT NULL,
    event_key  text        NOT NULL,
    type       text        NOT NULL,
    version    bigint      NOT NULL,
    hlc        bigint      NOT NULL,
    payload    jsonb       NOT NULL,
    created_at timestamptz NOT NULL
);
