-- Web Vitals: the apps that send them, their raw events (partitioned by day) and the nightly daily rollups.

CREATE TABLE vitals_apps (
    id              text        PRIMARY KEY,            -- short name, in URLs
    name            text        NOT NULL,
    public_key      text        NOT NULL UNIQUE,        -- in the browser snippet: identifies, does not authorize reads
    allowed_origins text[]      NOT NULL DEFAULT '{}',
    sample_rate     double precision NOT NULL DEFAULT 1 CHECK (sample_rate > 0 AND sample_rate <= 1),
    created_at      timestamptz NOT NULL DEFAULT now(),
    key_rotated_at  timestamptz
);

-- The portal's own pages report their vitals too, so a fresh install has real data.
INSERT INTO vitals_apps (id, name, public_key, allowed_origins)
VALUES ('portal', 'Portal', 'pk_' || md5(random()::text || clock_timestamp()::text), '{}');

CREATE TABLE vitals_events (
    app             text        NOT NULL,
    received_at     timestamptz NOT NULL,
    metric          text        NOT NULL,               -- LCP, INP, CLS, FCP, TTFB
    value           double precision NOT NULL,          -- ms, or unitless for CLS
    delta           double precision NOT NULL,
    rating          text        NOT NULL,               -- good, needs-improvement, poor: by the portal's thresholds
    event_id        text        NOT NULL,               -- web-vitals' id of the metric instance
    navigation_type text,
    page            text        NOT NULL,
    device          text        NOT NULL,               -- mobile, tablet, desktop
    connection      text,
    release         text,
    attribution     text                                 -- the element or interaction behind the value
) PARTITION BY RANGE (received_at);

-- Catches rows for a day whose partition does not exist yet: an accepted event is never refused for want of one.
CREATE TABLE vitals_events_default PARTITION OF vitals_events DEFAULT;
CREATE INDEX vitals_events_app_received_at ON vitals_events (app, received_at);

CREATE TABLE vitals_daily (
    app                 text    NOT NULL,
    day                 date    NOT NULL,
    page                text    NOT NULL,
    metric              text    NOT NULL,
    device              text    NOT NULL,
    count               bigint  NOT NULL,
    p50                 double precision NOT NULL,
    p75                 double precision NOT NULL,
    p95                 double precision NOT NULL,
    good                bigint  NOT NULL,
    needs_improvement   bigint  NOT NULL,
    poor                bigint  NOT NULL,
    PRIMARY KEY (app, day, metric, page, device)
);
