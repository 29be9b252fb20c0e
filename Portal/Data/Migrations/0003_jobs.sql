-- The job catalogue as the worker last registered it, with its pause state (survives restarts).
CREATE TABLE job_definitions (
    id                  text        PRIMARY KEY,
    title               text        NOT NULL,
    description         text        NOT NULL,
    cron                text        NOT NULL,
    time_zone           text        NOT NULL,
    queue               text        NOT NULL,
    timeout_seconds     integer     NOT NULL,
    freshness_seconds   integer     NOT NULL,
    retries             boolean     NOT NULL,
    paused              boolean     NOT NULL DEFAULT false,
    paused_by           text,
    paused_at           timestamptz,
    registered_at       timestamptz NOT NULL DEFAULT now()
);

-- One row per execution attempt, written by the worker's server filter. Hangfire keeps succeeded jobs a day;
-- this keeps their history for Jobs:HistoryRetentionDays.
CREATE TABLE job_runs (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id              text        NOT NULL,
    hangfire_job_id     text        NOT NULL,
    node                text        NOT NULL,
    trigger             text        NOT NULL CHECK (trigger IN ('schedule', 'manual', 'retry')),
    triggered_by        text,
    attempt             integer     NOT NULL DEFAULT 0,
    enqueued_at         timestamptz,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz,
    duration_ms         double precision,
    outcome             text        NOT NULL CHECK (outcome IN ('running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'skipped')),
    error_type          text,
    error_message       text,
    error_stack         text,
    summary             text,
    progress_percent    smallint    CHECK (progress_percent BETWEEN 0 AND 100),
    progress_message    text
);
CREATE INDEX job_runs_job_started ON job_runs (job_id, started_at DESC);
CREATE INDEX job_runs_started ON job_runs (started_at DESC);
CREATE INDEX job_runs_hangfire_job ON job_runs (hangfire_job_id);
