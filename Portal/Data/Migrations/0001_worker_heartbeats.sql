-- pg_stat_statements lets the portal observe its own database (the default query target).
-- On a server where the portal's role may not create it, the Queries page explains what to do instead.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
EXCEPTION
    WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
        RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
END
$$;

-- One row per worker process: written when it starts, by the heartbeat job every 15 s, and when it stops
-- cleanly (stopped_at), so a stopped worker is told apart from one that died or hangs.
CREATE TABLE worker_heartbeats (
    node        text        PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    beat_at     timestamptz NOT NULL,
    stopped_at  timestamptz,
    version     text        NOT NULL
);
