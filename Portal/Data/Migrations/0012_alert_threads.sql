-- Slack threads and the notification history. A group's episode (its first_seen_at) ties its notifications together:
-- through a bot token the repeats and the resolution are posted in the thread of the episode's first message
-- (slack_ts, slack_channel), and the sender delivers an episode's notifications in order. The fingerprints link a
-- notification to the alerts it told of (an alert's timeline); retried_at restarts the give-up clock of a dead one.
ALTER TABLE alert_notifications
    ADD COLUMN episode        timestamptz,
    ADD COLUMN fingerprints   text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN slack_channel  text,
    ADD COLUMN slack_ts       text,
    ADD COLUMN retried_at     timestamptz;
CREATE INDEX alert_notifications_episode ON alert_notifications (group_key, episode, id);
CREATE INDEX alert_notifications_fingerprints ON alert_notifications USING gin (fingerprints);
