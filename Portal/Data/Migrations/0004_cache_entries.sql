-- The cache's third tier: results of the categories that opt in (expensive to compute, worth keeping across
-- restarts and Redis outages). Expired rows are deleted in batches by the cache-cleanup job.
CREATE TABLE cache_entries (
    key         text        PRIMARY KEY,
    category    text        NOT NULL,
    value       bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX cache_entries_expires_at ON cache_entries (expires_at);
CREATE INDEX cache_entries_category ON cache_entries (category);
