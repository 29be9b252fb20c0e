-- The report archive: every generated report, its data (the JSON the API serves) and its HTML (as e-mailed, charts
-- inline), listed and viewable in the portal.
CREATE TABLE reports (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('weekly', 'daily', 'monthly')),
    scope           jsonb       NOT NULL,
    scope_label     text        NOT NULL,
    period_start    timestamptz NOT NULL,
    period_end      timestamptz NOT NULL,
    time_zone       text        NOT NULL,
    subject         text        NOT NULL,
    health          text        NOT NULL,
    score           double precision,
    generated_at    timestamptz NOT NULL DEFAULT now(),
    generated_by    text        NOT NULL,   -- "schedule", or who asked for a preview
    data            jsonb       NOT NULL,
    html            text        NOT NULL
);
CREATE INDEX reports_generated_at ON reports (generated_at DESC);
CREATE INDEX reports_scope_period ON reports (scope_label, kind, period_start);
