-- Lock waits as episodes instead of samples: one row per blocked session, blocker and blocked statement (known by its
-- start), from the first sample that saw it to the last. A wait that lasts an hour is one row, not 360: in the activity
-- benchmark, 19 sessions queued on one row lock wrote 87 rows every 10 s (189 MiB a day with the session rows).
ALTER TABLE query_lock_waits RENAME TO query_lock_wait_samples;
DROP INDEX query_lock_waits_target_at;

CREATE TABLE query_lock_waits (
    target             text             NOT NULL,
    database           text             NOT NULL,
    blocked_pid        integer          NOT NULL,
    blocking_pid       integer          NOT NULL,
    blocked_since      timestamptz      NOT NULL, -- the blocked statement's start (query_start)
    blocked_query_id   bigint           NOT NULL,
    blocking_query_id  bigint           NOT NULL,
    wait_event_type    text             NOT NULL,
    wait_event         text             NOT NULL,
    waiting_ms         double precision NOT NULL, -- the longest seen
    blocked_query      text             NOT NULL,
    blocking_query     text             NOT NULL, -- as last seen
    blocking_state     text             NOT NULL,
    first_seen         timestamptz      NOT NULL,
    last_seen          timestamptz      NOT NULL,
    samples            integer          NOT NULL,
    PRIMARY KEY (target, blocked_pid, blocking_pid, blocked_since)
);
CREATE INDEX query_lock_waits_target_last_seen ON query_lock_waits (target, last_seen);

-- The samples so far, each episode's start being when its statement began (the sample's time less its wait).
INSERT INTO query_lock_waits (target, database, blocked_pid, blocking_pid, blocked_since, blocked_query_id, blocking_query_id, wait_event_type,
                              wait_event, waiting_ms, blocked_query, blocking_query, blocking_state, first_seen, last_seen, samples)
SELECT target, database, blocked_pid, blocking_pid, min(at - waiting_ms * interval '1 millisecond'), blocked_query_id, max(blocking_query_id),
       max(wait_event_type), max(wait_event), max(waiting_ms), max(blocked_query), (array_agg(blocking_query ORDER BY at DESC))[1],
       (array_agg(blocking_state ORDER BY at DESC))[1], min(at), max(at), count(*)
FROM query_lock_wait_samples
GROUP BY target, database, blocked_pid, blocking_pid, blocked_query_id
ON CONFLICT DO NOTHING;

DROP TABLE query_lock_wait_samples;
