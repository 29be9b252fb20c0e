-- Plan history: each distinct plan a statement was given (a fingerprint of its shape: node types, relations, indexes,
-- join types), its generic plan as EXPLAIN wrote it, and when the plan-history job first and last saw it.
CREATE TABLE query_plans (
    target        text             NOT NULL,
    query_id      bigint           NOT NULL,
    fingerprint   text             NOT NULL,
    shape         text             NOT NULL,
    total_cost    double precision NOT NULL,
    plan          text             NOT NULL,
    first_seen    timestamptz      NOT NULL,
    last_seen     timestamptz      NOT NULL,
    PRIMARY KEY (target, query_id, fingerprint)
);
CREATE INDEX query_plans_first_seen ON query_plans (target, first_seen);
