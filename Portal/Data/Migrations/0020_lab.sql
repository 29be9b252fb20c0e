-- The lab half of the baseline. Lighthouse audits of a service's critical pages (by the lab-checks job, or posted
-- from CI): the four category scores as Lighthouse wrote them (0–1), the lab metrics, the audits that failed and the
-- whole report (gzip of Lighthouse's JSON, opened from the portal). Load-test runs posted from CI (k6 or autocannon):
-- the figures the readiness verdict is judged on, and the summary as it was sent.
CREATE TABLE lab_lighthouse_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service          text             NOT NULL,
    page             text             NOT NULL,
    profile          text             NOT NULL CHECK (profile IN ('mobile', 'desktop')),
    url              text             NOT NULL,
    source           text             NOT NULL,
    fetched_at       timestamptz      NOT NULL,
    recorded_at      timestamptz      NOT NULL DEFAULT now(),
    lighthouse       text             NOT NULL,
    performance      double precision,
    accessibility    double precision,
    best_practices   double precision,
    seo              double precision,
    lcp_ms           double precision,
    tbt_ms           double precision,
    cls              double precision,
    fcp_ms           double precision,
    speed_index_ms   double precision,
    runtime_error    text,
    failing          jsonb            NOT NULL DEFAULT '[]',
    report           bytea
);
CREATE INDEX lab_lighthouse_runs_page ON lab_lighthouse_runs (service, page, profile, fetched_at DESC);
CREATE INDEX lab_lighthouse_runs_fetched ON lab_lighthouse_runs (fetched_at);

CREATE TABLE lab_load_tests (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service            text             NOT NULL,
    scenario           text             NOT NULL,
    tool               text             NOT NULL CHECK (tool IN ('k6', 'autocannon')),
    started_at         timestamptz      NOT NULL,
    duration_s         double precision NOT NULL,
    recorded_at        timestamptz      NOT NULL DEFAULT now(),
    users              integer          NOT NULL,
    requests           bigint           NOT NULL,
    errors             bigint           NOT NULL,
    throughput         double precision NOT NULL,
    percentiles        jsonb            NOT NULL,
    thresholds         jsonb            NOT NULL DEFAULT '{}',
    summary            bytea            NOT NULL
);
CREATE INDEX lab_load_tests_scenario ON lab_load_tests (service, scenario, started_at DESC);
CREATE INDEX lab_load_tests_started ON lab_load_tests (started_at);
