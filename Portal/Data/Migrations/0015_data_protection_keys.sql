-- ASP.NET Core's data-protection key ring (owned by Auth): the keys that sign cookies and antiforgery tokens, shared
-- by every web replica so that any of them reads what another issued, and kept when a container restarts. One row
-- per key element, as the key manager writes it (encrypted at rest when DataProtection:CertificatePath is set).
CREATE TABLE data_protection_keys (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name   text        NOT NULL,
    xml             text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
