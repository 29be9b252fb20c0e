-- Alert instances: one per rule and label set (its fingerprint), with the state the alert-evaluation job keeps:
-- inactive → pending (while `for` runs) → firing → inactive again (resolved). A source that cannot be read marks
-- the rule's instances no_data and leaves their state alone: an alert is never resolved by silence.
CREATE TABLE alert_instances (
    fingerprint         text        PRIMARY KEY,
    rule_key            text        NOT NULL,   -- the rule it belongs to (name/severity, and objective/windows for burn rates)
    rule_name           text        NOT NULL,
    severity            text        NOT NULL,
    source              text        NOT NULL,
    labels              jsonb       NOT NULL,
    annotations         jsonb       NOT NULL,
    state               text        NOT NULL CHECK (state IN ('inactive', 'pending', 'firing')),
    no_data             boolean     NOT NULL DEFAULT false,
    no_data_reason      text,
    value               double precision,
    threshold           double precision NOT NULL,
    active_since        timestamptz,            -- pending or firing since
    firing_since        timestamptz,
    resolved_at         timestamptz,
    last_evaluated_at   timestamptz NOT NULL
);
CREATE INDEX alert_instances_state ON alert_instances (state) WHERE state <> 'inactive';

-- Every change of state, for an alert's timeline.
CREATE TABLE alert_transitions (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint         text        NOT NULL REFERENCES alert_instances (fingerprint) ON DELETE CASCADE,
    at                  timestamptz NOT NULL,
    from_state          text        NOT NULL,
    to_state            text        NOT NULL,
    value               double precision,
    note                text
);
CREATE INDEX alert_transitions_fingerprint_at ON alert_transitions (fingerprint, at);
