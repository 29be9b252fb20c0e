-- Query statistics of monitored databases, from pg_stat_statements, never reset on the target.
--
-- Each snapshot stores, for the statements whose counters moved, the statement's running totals: the sum of every
-- delta the portal has seen for it. Any window's activity is then the difference of two rows (the last one at or
-- before each end), so a 30-day top list reads two rows per statement, not thousands.

CREATE TABLE query_snapshots (
    id              bigserial   PRIMARY KEY,
    target          text        NOT NULL,
    taken_at        timestamptz NOT NULL,
    stats_reset     timestamptz,            -- pg_stat_statements_info.stats_reset on the target
    statements      integer     NOT NULL,   -- statements pg_stat_statements held
    moved           integer     NOT NULL,   -- of which moved since the previous snapshot (rows stored)
    reset_detected  boolean     NOT NULL,   -- the target's statistics were reset since the previous snapshot
    baseline        boolean     NOT NULL,   -- the first snapshot of the target: counters noted, no activity attributed
    duration_ms     double precision NOT NULL
);
CREATE INDEX query_snapshots_target_taken_at ON query_snapshots (target, taken_at DESC);

CREATE TABLE query_statements (
    id              bigserial   PRIMARY KEY,
    target          text        NOT NULL,
    query_id        bigint      NOT NULL,
    user_id         bigint      NOT NULL,
    db_id           bigint      NOT NULL,
    toplevel        boolean     NOT NULL,
    user_name       text        NOT NULL,
    database_name   text        NOT NULL,
    query           text        NOT NULL,
    first_seen      timestamptz NOT NULL,
    last_moved      timestamptz,
    -- The target's cumulative counters when the portal last saw the statement (the base of its next delta), and the
    -- portal's running totals; both in the order of QueryCounters.Names.
    seen            double precision[] NOT NULL,
    running         double precision[] NOT NULL,
    UNIQUE (target, query_id, user_id, db_id, toplevel)
);
CREATE INDEX query_statements_target_last_moved ON query_statements (target, last_moved);

CREATE TABLE query_totals (
    statement_id        bigint      NOT NULL REFERENCES query_statements (id) ON DELETE CASCADE,
    taken_at            timestamptz NOT NULL,
    calls               double precision NOT NULL,
    total_time_ms       double precision NOT NULL,
    rows                double precision NOT NULL,
    shared_blks_hit     double precision NOT NULL,
    shared_blks_read    double precision NOT NULL,
    shared_blks_dirtied double precision NOT NULL,
    shared_blks_written double precision NOT NULL,
    temp_blks_read      double precision NOT NULL,
    temp_blks_written   double precision NOT NULL,
    blk_read_time_ms    double precision NOT NULL,
    blk_write_time_ms   double precision NOT NULL,
    wal_bytes           double precision NOT NULL,
    -- As the target reported them at this snapshot (since its last reset): extremes cannot be differenced.
    min_time_ms         double precision NOT NULL,
    max_time_ms         double precision NOT NULL,
    stddev_time_ms      double precision NOT NULL,
    PRIMARY KEY (statement_id, taken_at)
);
