-- WebSub (W3C): a hub pushes a source's new items to kabar the moment they are published.
CREATE TABLE websub_subscriptions (
    source_id    INTEGER PRIMARY KEY REFERENCES sources(id) ON DELETE CASCADE,
    hub          TEXT    NOT NULL,
    topic        TEXT    NOT NULL,
    secret       TEXT    NOT NULL,              -- the HMAC key the hub signs its pushes with
    state        TEXT    NOT NULL,              -- 'requested', 'verified', 'denied'
    lease_until  INTEGER,                       -- unix ms; renewed before it runs out
    updated_at   INTEGER NOT NULL
);
