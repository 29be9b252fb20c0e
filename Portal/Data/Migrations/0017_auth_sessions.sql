-- Sign-in sessions (owned by Auth): the cookie names one, and is good only while its row is: signing out ends it,
-- "sign out everywhere", a password reset, a role change or disabling the user end all of the user's. A session's
-- lifetime is absolute (12 hours, or the "remember me" days), whatever the browser does with the cookie.
CREATE TABLE auth_sessions (
    id              uuid        PRIMARY KEY,
    user_id         bigint      NOT NULL REFERENCES users ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    remember_me     boolean     NOT NULL,
    client_address  inet,
    user_agent      text,
    ended_at        timestamptz,
    ended_reason    text
);

CREATE INDEX auth_sessions_open ON auth_sessions (user_id) WHERE ended_at IS NULL;
