-- kabar's initial schema. Times are unix milliseconds (INTEGER) so the SQL stays portable to
-- PostgreSQL; booleans are INTEGER 0/1 for the same reason.

-- A watched site. Config sources are synced in by name at start; later issues add run-time ones.
CREATE TABLE sources (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT    NOT NULL UNIQUE,
    url                   TEXT    NOT NULL,
    kind                  TEXT    NOT NULL DEFAULT 'feed',
    origin                TEXT    NOT NULL DEFAULT 'config',
    poll_interval_secs    INTEGER NOT NULL DEFAULT 300,
    enabled               INTEGER NOT NULL DEFAULT 1,
    -- 0 until the first successful poll recorded the backlog; only later items are pushed.
    primed                INTEGER NOT NULL DEFAULT 0,
    etag                  TEXT,
    last_modified         TEXT,
    last_polled_at        INTEGER,
    next_poll_at          INTEGER NOT NULL DEFAULT 0,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT,
    created_at            INTEGER NOT NULL
);

-- Every item ever seen, pushed or not: the dedupe memory that survives restarts.
CREATE TABLE articles (
    id             INTEGER PRIMARY KEY,
    source_id      INTEGER REFERENCES sources(id) ON DELETE SET NULL,
    item_key       TEXT    NOT NULL,   -- the feed's guid, else its link
    canonical_url  TEXT,               -- the link without tracking parameters and fragment
    fingerprint    TEXT,               -- a content hash, for stories re-sent under new ids
    title          TEXT    NOT NULL,
    url            TEXT,
    summary        TEXT,
    image_url      TEXT,
    published_at   INTEGER,
    discovered_at  INTEGER NOT NULL,
    pushed         INTEGER NOT NULL DEFAULT 0,  -- 0: recorded as backlog, 1: broadcast
    UNIQUE (source_id, item_key)
);
CREATE UNIQUE INDEX articles_canonical_url ON articles (canonical_url) WHERE canonical_url IS NOT NULL;
CREATE INDEX articles_fingerprint ON articles (fingerprint) WHERE fingerprint IS NOT NULL;

-- A chat that follows the channel: a reader's private chat, a group, a supergroup or a channel.
CREATE TABLE subscribers (
    id               INTEGER PRIMARY KEY,
    chat_id          INTEGER NOT NULL UNIQUE,  -- moves when a group becomes a supergroup
    kind             TEXT    NOT NULL DEFAULT 'private',
    username         TEXT,
    display_name     TEXT,
    language_code    TEXT,
    active           INTEGER NOT NULL DEFAULT 1,
    inactive_reason  TEXT,                     -- 'stopped', 'blocked', 'deactivated', ...
    subscribed_at    INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX subscribers_active ON subscribers (active, id);

-- One push: an article, or a breaking message from an editor or the API.
CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,             -- 'article', 'breaking'
    article_id   INTEGER REFERENCES articles(id),
    priority     INTEGER NOT NULL,             -- lower goes first: 0 reply, 1 breaking, 2 article, 3 digest
    body_html    TEXT    NOT NULL,             -- the rendered message, Telegram HTML
    link_url     TEXT,
    image_url    TEXT,
    -- 'draft' (awaiting an editor's confirmation), 'sending', 'done', 'cancelled', 'discarded'
    status       TEXT    NOT NULL,
    total        INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);

-- The outbox: one row per (broadcast, chat). Workers claim due rows by pushing due_at forward by
-- a lease, so a row claimed by a worker that died becomes due again by itself.
CREATE TABLE deliveries (
    id             INTEGER PRIMARY KEY,
    broadcast_id   INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    priority       INTEGER NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'pending',  -- 'pending', 'sent', 'failed', 'cancelled'
    due_at         INTEGER NOT NULL,
    claimed_at     INTEGER,                              -- set while a worker holds the row
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    message_id     INTEGER,                              -- the platform's id, for recalls and edits
    sent_at        INTEGER,
    UNIQUE (broadcast_id, subscriber_id)
);
CREATE INDEX deliveries_due ON deliveries (status, priority, due_at);
CREATE INDEX deliveries_by_broadcast ON deliveries (broadcast_id, status);
