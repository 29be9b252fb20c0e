-- Report subscriptions and their outbox. A subscription sends its scope's report of each whole period (week, day or
-- month, in its time zone) at its hour; each (subscription, period, recipient) is one delivery row, so a report is
-- sent once however often the job runs, retries or restarts. The secret signs the unsubscribe links of its e-mails.
CREATE TABLE report_subscriptions (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner               text        NOT NULL,              -- who created it: they (and admins) manage it
    recipients          text[]      NOT NULL CHECK (cardinality(recipients) > 0),
    scope               jsonb       NOT NULL,
    schedule            text        NOT NULL CHECK (schedule IN ('weekly', 'daily', 'monthly')),
    send_hour           integer     NOT NULL DEFAULT 8 CHECK (send_hour BETWEEN 0 AND 23),
    time_zone           text        NOT NULL DEFAULT 'UTC',
    skip_without_data   boolean     NOT NULL DEFAULT true,
    secret              bytea       NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE report_deliveries (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id     bigint      NOT NULL REFERENCES report_subscriptions ON DELETE CASCADE,
    period_start        timestamptz NOT NULL,
    recipient           text        NOT NULL,
    report_id           bigint      REFERENCES reports ON DELETE SET NULL,
    status              text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped', 'dead')),
    attempts            integer     NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    UNIQUE (subscription_id, period_start, recipient)
);
CREATE INDEX report_deliveries_due ON report_deliveries (next_attempt_at) WHERE status = 'pending';
