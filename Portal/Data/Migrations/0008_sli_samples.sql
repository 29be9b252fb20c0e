-- SLI samples of the SLA objectives, written every 5 minutes by the scorecard-evaluation job; scorecards read only
-- these (never 30 days of Prometheus per page view).
--
-- good/total are the events of the interval (requests, page views, lookups) or, for time SLIs (uptime, query
-- intervals, job freshness), the share of the interval that was good out of 1. value/weight give the interval's
-- figure and what it weighs when intervals are combined (a query's mean time per call and its calls; a Web Vitals
-- percentile and its page views; percentiles holds a Web Vitals interval's p75, p95, p99 and max); le/counts are a latency histogram's bucket counts, so that any window's
-- percentile is computed exactly as histogram_quantile computes it over the window.
CREATE TABLE sli_samples (
    objective_id    text             NOT NULL,
    at              timestamptz      NOT NULL,   -- the end of the 5-minute interval
    good            double precision NOT NULL,
    total           double precision NOT NULL,
    value           double precision,
    weight          double precision,
    le              double precision[],
    counts          double precision[],
    percentiles     double precision[],   -- Web Vitals: p75, p95, p99 and max of the interval
    PRIMARY KEY (objective_id, at)
);

-- One row per objective and UTC day (the nightly rollup): sums of good, total, weight and counts, and the
-- weight-averaged value, so a 30-day window reads 30 rows an objective.
CREATE TABLE sli_daily (
    objective_id    text             NOT NULL,
    day             date             NOT NULL,
    good            double precision NOT NULL,
    total           double precision NOT NULL,
    value           double precision,
    weight          double precision,
    le              double precision[],
    counts          double precision[],
    percentiles     double precision[],   -- Web Vitals: p75, p95, p99 and max of the interval
    samples         integer          NOT NULL,
    PRIMARY KEY (objective_id, day)
);

-- How far each objective has been evaluated: the next run starts after it (intervals without events store no sample).
CREATE TABLE sli_evaluations (
    objective_id        text        PRIMARY KEY,
    evaluated_through   timestamptz NOT NULL,
    evaluated_at        timestamptz NOT NULL,
    last_error          text        -- the source's error when the last attempt failed (the objective shows no data for it)
);
