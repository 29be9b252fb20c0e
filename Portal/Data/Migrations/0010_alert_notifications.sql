-- Notification groups (Alertmanager's): the firing alerts of one rule and service for one destination, what was last
-- sent about them and when.
CREATE TABLE alert_groups (
    group_key           text        PRIMARY KEY,
    destination         text        NOT NULL,
    rule_name           text        NOT NULL,
    service             text        NOT NULL,
    notified            text[]      NOT NULL DEFAULT '{}',  -- the fingerprints firing at the last notification
    first_seen_at       timestamptz NOT NULL,              -- when the group's current episode began (group_wait counts from it)
    last_notified_at    timestamptz
);

-- The outbox: each notification written in the transaction of the state change that caused it, then delivered by
-- the sender (retries with back-off, Slack's Retry-After honoured) until sent or given up (dead).
CREATE TABLE alert_notifications (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_key           text        NOT NULL,
    destination         text        NOT NULL,
    kind                text        NOT NULL CHECK (kind IN ('firing', 'repeat', 'resolved', 'test')),
    title               text        NOT NULL,
    payload             jsonb       NOT NULL,
    alerts              integer     NOT NULL,
    status              text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts            integer     NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz
);
CREATE INDEX alert_notifications_due ON alert_notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX alert_notifications_created ON alert_notifications (created_at DESC);
