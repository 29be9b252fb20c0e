-- pg_stat_statements' evictions: when a target sees more distinct statements than pg_stat_statements.max, PostgreSQL
-- drops the least-run 5 % of its entries and counts one deallocation (pg_stat_statements_info.dealloc). A statement
-- dropped between two snapshots loses what it did there, and one that comes back starts from zero: the Queries page
-- says so for the windows in which it happened, with the setting to raise. Null in snapshots taken before these columns.
ALTER TABLE query_snapshots ADD COLUMN dealloc bigint;          -- pg_stat_statements_info.dealloc on the target
ALTER TABLE query_snapshots ADD COLUMN statements_max integer;  -- pg_stat_statements.max on the target
ALTER TABLE query_snapshots ADD COLUMN evictions bigint;        -- deallocations since the previous snapshot (QuerySnapshots)
