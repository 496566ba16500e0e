-- The region registry: one row per region, the whole model as JSON plus the columns queries need.
CREATE TABLE regions (
    id         text PRIMARY KEY,
    version    bigint      NOT NULL,
    status     text        NOT NULL,
    zone       text        NOT NULL,
    body       jsonb       NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
