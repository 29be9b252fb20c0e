-- Web Vitals diagnostics (#30): soft navigations are counted as page views only for apps that opt in, and an INP or
-- CLS instance sent again (web-vitals reports it again when the page comes back and the value grows) replaces the row
-- sent before: the writer finds that row through this index, which holds only the two metrics that can be re-sent.
ALTER TABLE vitals_apps ADD COLUMN soft_navigations boolean NOT NULL DEFAULT false;
CREATE INDEX vitals_events_instance ON vitals_events (app, event_id) WHERE metric IN ('INP', 'CLS');
