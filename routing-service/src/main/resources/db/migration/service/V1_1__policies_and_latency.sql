-- Routing policies, one per service, stored as the operator's document; version is the ETag.
CREATE TABLE routing_policies (
    service     text PRIMARY KEY,
    version     bigint      NOT NULL,
    body        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Measured round-trip times from a country's clients to a region (replace the great-circle estimate).
CREATE TABLE measured_latency (
    country     char(2)          NOT NULL,
    region      text             NOT NULL,
    rtt_millis  double precision NOT NULL,
    source      text             NOT NULL,
    measured_at timestamptz      NOT NULL,
    PRIMARY KEY (country, region)
);
