-- One row a minute per Redis the portal watches (the redis-samples job), for the Cache page's trends.
CREATE TABLE redis_samples (
    name                text        NOT NULL,
    at                  timestamptz NOT NULL DEFAULT now(),
    keyspace_hits       bigint      NOT NULL,
    keyspace_misses     bigint      NOT NULL,
    used_memory_bytes   bigint      NOT NULL,
    evicted_keys        bigint      NOT NULL,
    expired_keys        bigint      NOT NULL,
    ops_per_second      bigint      NOT NULL,
    connected_clients   bigint      NOT NULL,
    keys                bigint      NOT NULL,
    PRIMARY KEY (name, at)
);
