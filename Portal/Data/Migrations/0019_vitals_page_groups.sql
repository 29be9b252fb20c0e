-- How an app's page paths are grouped into pages: its own rules (a pattern, and the route template it stands for),
-- and whether numeric and hash-like segments collapse to :id and :hash (/issues/123 and /issues/456 are one page).
ALTER TABLE vitals_apps ADD COLUMN page_groups text[] NOT NULL DEFAULT '{}';
ALTER TABLE vitals_apps ADD COLUMN collapse_ids boolean NOT NULL DEFAULT true;
