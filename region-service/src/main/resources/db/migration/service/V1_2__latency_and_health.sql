-- Measured round-trip times between regions (directed: from the prober's region to the target).
CREATE TABLE region_latency (
    from_region text             NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    to_region   text             NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    rtt_millis  double precision NOT NULL CHECK (rtt_millis > 0),
    source      text             NOT NULL,
    measured_at timestamptz      NOT NULL,
    PRIMARY KEY (from_region, to_region)
);

-- Health score per region from the observations on meridian.health-observations.
CREATE TABLE region_health (
    region        text             PRIMARY KEY,
    score         double precision NOT NULL,
    observations  bigint           NOT NULL,
    last_healthy  boolean          NOT NULL,
    last_observer text             NOT NULL,
    last_detail   text,
    observed_at   timestamptz      NOT NULL
);
