-- Drills may hit a region's application as well as its database; only database faults start a failover's clock.
ALTER TABLE drills ADD COLUMN target text NOT NULL DEFAULT 'DATABASE';
