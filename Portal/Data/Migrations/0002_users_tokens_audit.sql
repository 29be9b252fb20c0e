-- Local users (and users provisioned from an SSO proxy in header mode).
CREATE TABLE users (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login               text        NOT NULL,
    display_name        text        NOT NULL,
    role                text        NOT NULL CHECK (role IN ('Viewer', 'Developer', 'Admin')),
    password_hash       text,                       -- null for users who sign in through the proxy
    source              text        NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'header')),
    disabled            boolean     NOT NULL DEFAULT false,
    failed_attempts     integer     NOT NULL DEFAULT 0,
    locked_until        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at     timestamptz
);
CREATE UNIQUE INDEX users_login ON users (lower(login));

-- API tokens: only a SHA-256 of the token is kept; the token itself is shown once.
CREATE TABLE api_tokens (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    role            text        NOT NULL CHECK (role IN ('Viewer', 'Developer', 'Admin')),
    token_hash      bytea       NOT NULL UNIQUE,
    prefix          text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Every administrative action: who, when, what, and the state before and after.
CREATE TABLE audit_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    action      text        NOT NULL,
    subject     text        NOT NULL,
    before      jsonb,
    after       jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
