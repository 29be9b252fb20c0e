-- A recurring silence: in force, between its start and end, only within these named time intervals of alerts.yaml
-- (every weekend, the Tuesday maintenance window); empty: all the time.
ALTER TABLE alert_silences ADD COLUMN time_intervals text[] NOT NULL DEFAULT '{}';
