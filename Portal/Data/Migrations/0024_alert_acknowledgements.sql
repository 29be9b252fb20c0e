-- Acknowledgement: someone is on a group's alerts. An acknowledged group sends no repeats until its firing alerts
-- change (which clears it) or it resolves (which ends the group).
ALTER TABLE alert_groups
    ADD COLUMN acknowledged_at    timestamptz,
    ADD COLUMN acknowledged_by    text,
    ADD COLUMN acknowledged_note  text;

-- The acknowledgement told to PagerDuty and Opsgenie goes through the outbox like any notification.
ALTER TABLE alert_notifications DROP CONSTRAINT alert_notifications_kind_check;
ALTER TABLE alert_notifications ADD CONSTRAINT alert_notifications_kind_check CHECK (kind IN ('firing', 'repeat', 'resolved', 'test', 'acknowledged'));
