-- The user who owns a subscription, by id (Auth's user id; read through Auth's API, no foreign key across features):
-- a disabled or deleted owner's subscriptions stop sending. Older rows name their owner by login only.
ALTER TABLE report_subscriptions ADD COLUMN owner_id bigint;
