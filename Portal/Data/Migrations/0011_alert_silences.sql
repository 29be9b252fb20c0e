-- Silences: alerts whose labels match every matcher are not notified between starts_at and ends_at. Expired ones
-- stay listed (who silenced what, when, and why).
CREATE TABLE alert_silences (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    matchers            jsonb       NOT NULL,   -- label → value, all must be equal (alertname and severity included)
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL CHECK (ends_at > starts_at),
    created_by          text        NOT NULL,
    comment             text        NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_silences_ends_at ON alert_silences (ends_at DESC);
