-- Where an audited action came from: the client address of the request that made it (behind a trusted proxy, the
-- address the proxy forwards; never one an untrusted client claims). Null for the worker's own actions.
ALTER TABLE audit_log ADD COLUMN client_address inet;
