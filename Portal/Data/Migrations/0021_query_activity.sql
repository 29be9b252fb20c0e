-- Activity history of the query targets (pg_stat_activity sampled by the activity-samples job, every 10 s): each sample's
-- sessions counted by database, state, wait event and statement (session-seconds: sessions × the sampling interval, so
-- that an hour's rows sum to its average active sessions × 3,600), folded into hourly rows after
-- Queries:ActivityRawDays; and each sample's lock waits, a blocked session and the session it waits for.
CREATE TABLE query_activity (
    target            text             NOT NULL,
    at                timestamptz      NOT NULL,
    database          text             NOT NULL,
    state             text             NOT NULL,
    wait_event_type   text             NOT NULL,
    wait_event        text             NOT NULL,
    query_id          bigint           NOT NULL,
    session_seconds   double precision NOT NULL
);
CREATE INDEX query_activity_target_at ON query_activity (target, at);

CREATE TABLE query_activity_hourly (
    target            text             NOT NULL,
    hour              timestamptz      NOT NULL,
    database          text             NOT NULL,
    state             text             NOT NULL,
    wait_event_type   text             NOT NULL,
    wait_event        text             NOT NULL,
    query_id          bigint           NOT NULL,
    session_seconds   double precision NOT NULL,
    PRIMARY KEY (target, hour, database, state, wait_event_type, wait_event, query_id)
);

CREATE TABLE query_lock_waits (
    target             text             NOT NULL,
    at                 timestamptz      NOT NULL,
    database           text             NOT NULL,
    blocked_pid        integer          NOT NULL,
    blocking_pid       integer          NOT NULL,
    blocked_query_id   bigint           NOT NULL,
    blocking_query_id  bigint           NOT NULL,
    wait_event_type    text             NOT NULL,
    wait_event         text             NOT NULL,
    waiting_ms         double precision NOT NULL,
    blocked_query      text             NOT NULL,
    blocking_query     text             NOT NULL,
    blocking_state     text             NOT NULL
);
CREATE INDEX query_lock_waits_target_at ON query_lock_waits (target, at);
