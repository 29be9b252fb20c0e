-- Web Vitals diagnostics (#30): soft navigations are counted as page views only for apps that opt in; an INP or CLS
-- instance is reported again as it changes (web-vitals reports it again when the page comes back and the value grows),
-- and the snippet numbers each send of an instance: the row kept is the one with the highest number, whatever order
-- the sends arrive in (two beacons sent as a page hides race each other). The writer finds the stored copies through
-- this index, which holds only the two metrics that can be sent again.
ALTER TABLE vitals_apps ADD COLUMN soft_navigations boolean NOT NULL DEFAULT false;
ALTER TABLE vitals_events ADD COLUMN report smallint NOT NULL DEFAULT 1;
CREATE INDEX vitals_events_instance ON vitals_events (app, event_id) WHERE metric IN ('INP', 'CLS');
