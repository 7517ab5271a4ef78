-- Dashboard sessions and login attempts live in the database, not in one process's memory: a
-- restart no longer signs operators out, and instances behind a load balancer answer the same.
CREATE TABLE dashboard_sessions (
    id_digest   TEXT   PRIMARY KEY,   -- SHA-256 of the cookie's session id, as hex; never the id
    csrf        TEXT   NOT NULL,      -- the token every form of the session carries
    expires_at  BIGINT NOT NULL       -- unix ms
);
-- Every login attempt, right or wrong, for a minute: the budget is per client address.
CREATE TABLE login_attempts (
    client        TEXT   NOT NULL,    -- the client's IP address
    attempted_at  BIGINT NOT NULL     -- unix ms
);
CREATE INDEX login_attempts_by_client ON login_attempts (client, attempted_at);
