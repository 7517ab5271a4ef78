-- Idempotency-Key (the IETF draft's header): a client retrying a POST with the same key gets the
-- first answer again instead of a second push. Kept for a day.
CREATE TABLE idempotency_keys (
    route         TEXT    NOT NULL,   -- the API route the key was used on
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,   -- SHA-256 of the request: a key reused for another request is refused
    status        INTEGER NOT NULL,
    body          TEXT    NOT NULL,   -- the JSON answer given
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (route, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);
