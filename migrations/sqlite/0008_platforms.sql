-- Platforms: a subscriber is a chat on one platform, addressed by that platform's own id for it as
-- text (a Telegram chat id today, a WhatsApp number next); a sent message's id is text too; every
-- broadcast is written once per platform and language; failure and inactivity reasons are typed.
--
-- SQLite cannot change a column's type or a table's constraints in place, so `subscribers` and
-- `broadcast_bodies` are rebuilt, the way SQLite's documentation prescribes. Migrations run with
-- foreign keys off (see `Store::migrate`), so dropping the old table cascades to nothing; the keys
-- are checked once every migration is applied.

CREATE TABLE subscribers_rebuilt (
    id                INTEGER PRIMARY KEY,
    platform          TEXT    NOT NULL,             -- 'telegram'
    address           TEXT    NOT NULL,             -- the platform's id of the chat; moves when a group becomes a supergroup
    kind              TEXT    NOT NULL DEFAULT 'private',
    username          TEXT,
    display_name      TEXT,
    app_language      TEXT,                         -- the language the chat's app is set to, when known
    active            INTEGER NOT NULL DEFAULT 1,
    inactive_reason   TEXT,                         -- 'stopped', 'pending', 'blocked', 'chat_not_found', ...
    subscribed_at     INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    language          TEXT,
    language_chosen   INTEGER NOT NULL DEFAULT 0,
    all_channels      INTEGER NOT NULL DEFAULT 1,
    delivery_mode     TEXT    NOT NULL DEFAULT 'instant',
    quiet_hours       TEXT,
    timezone          TEXT,
    breaking_instant  INTEGER NOT NULL DEFAULT 1,
    has_filters       INTEGER NOT NULL DEFAULT 0,
    last_digest_at    INTEGER,
    held_since        INTEGER,
    added_by          INTEGER,
    UNIQUE (platform, address)
);
INSERT INTO subscribers_rebuilt
    (id, platform, address, kind, username, display_name, app_language, active, inactive_reason, subscribed_at,
     updated_at, language, language_chosen, all_channels, delivery_mode, quiet_hours, timezone, breaking_instant,
     has_filters, last_digest_at, held_since, added_by)
SELECT id, 'telegram', CAST(chat_id AS TEXT), kind, username, display_name, language_code, active,
       CASE inactive_reason
           WHEN 'chat not found' THEN 'chat_not_found'
           WHEN 'group deactivated' THEN 'group_deactivated'
           WHEN 'never started the bot' THEN 'never_started'
           ELSE inactive_reason
       END,
       subscribed_at, updated_at, language, language_chosen, all_channels, delivery_mode, quiet_hours, timezone,
       breaking_instant, has_filters, last_digest_at, held_since, added_by
FROM subscribers;
DROP TABLE subscribers;
ALTER TABLE subscribers_rebuilt RENAME TO subscribers;
CREATE INDEX subscribers_active ON subscribers (active, id);
CREATE INDEX subscribers_holding ON subscribers (held_since) WHERE held_since IS NOT NULL;
-- Fan-out queues most subscribers with one INSERT … SELECT; only those who chose something (a
-- digest, quiet hours, keywords) are read and routed one by one, and this finds them without
-- reading everyone else a second time.
CREATE INDEX subscribers_choosing ON subscribers (id)
    WHERE delivery_mode != 'instant' OR quiet_hours IS NOT NULL OR has_filters = 1;

-- A broadcast's message per platform and language. Broadcasts older than per-language bodies
-- get theirs from the one body they had.
CREATE TABLE broadcast_bodies_rebuilt (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    platform      TEXT    NOT NULL,
    language      TEXT    NOT NULL,
    body          TEXT    NOT NULL,   -- in the platform's markup, within its text limit
    caption       TEXT,               -- the same within a photo caption's limit, when there is a photo
    PRIMARY KEY (broadcast_id, platform, language)
) WITHOUT ROWID;
INSERT INTO broadcast_bodies_rebuilt (broadcast_id, platform, language, body, caption)
    SELECT broadcast_id, 'telegram', language, body_html, caption_html FROM broadcast_bodies;
INSERT INTO broadcast_bodies_rebuilt (broadcast_id, platform, language, body, caption)
    SELECT b.id, 'telegram', l.language, b.body_html, NULL
    FROM broadcasts b, (SELECT 'en' AS language UNION ALL SELECT 'id') l
    WHERE b.kind != 'digest'
      AND NOT EXISTS (SELECT 1 FROM broadcast_bodies bb WHERE bb.broadcast_id = b.id AND bb.language = l.language);
DROP TABLE broadcast_bodies;
ALTER TABLE broadcast_bodies_rebuilt RENAME TO broadcast_bodies;
ALTER TABLE broadcasts DROP COLUMN body_html;

-- The outbox: the platform's message id as text, a digest's own body by a neutral name, and why
-- a delivery was given up as a typed reason beside its detail.
ALTER TABLE deliveries ADD COLUMN platform_message_id TEXT;
UPDATE deliveries SET platform_message_id = CAST(message_id AS TEXT) WHERE message_id IS NOT NULL;
ALTER TABLE deliveries DROP COLUMN message_id;
ALTER TABLE deliveries RENAME COLUMN platform_message_id TO message_id;
ALTER TABLE deliveries RENAME COLUMN body_html TO body;
ALTER TABLE deliveries ADD COLUMN failure_reason TEXT;
UPDATE deliveries SET failure_reason = CASE
        WHEN last_error LIKE 'chat is gone: chat not found%' THEN 'chat_not_found'
        WHEN last_error LIKE 'chat is gone: group deactivated%' THEN 'group_deactivated'
        WHEN last_error LIKE 'chat is gone: never started the bot%' THEN 'never_started'
        WHEN last_error LIKE 'chat is gone: blocked%' THEN 'blocked'
        WHEN last_error LIKE 'chat is gone: deactivated%' THEN 'deactivated'
        WHEN last_error LIKE 'chat is gone: kicked%' THEN 'kicked'
        WHEN last_error LIKE 'gave up%' THEN 'gave_up'
        WHEN last_error LIKE 'photo refused%' THEN 'photo_refused'
        WHEN last_error LIKE '%no longer subscribed%' THEN 'unsubscribed'
        ELSE 'rejected'
    END
WHERE status = 'failed';
