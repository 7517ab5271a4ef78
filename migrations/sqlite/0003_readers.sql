-- Readers choose what they get and when: channels (topics) to follow, their language, a delivery
-- mode (instant or a digest), quiet hours, and keyword filters. A group or a Telegram channel is a
-- subscriber like a reader, managed by its admins.

-- A topic readers follow: defined by the operator, or made from a feed category.
CREATE TABLE channels (
    id               INTEGER PRIMARY KEY,
    slug             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL,
    localized_names  TEXT    NOT NULL DEFAULT '{}',  -- JSON object: language → name
    origin           TEXT    NOT NULL,               -- 'config' or 'category'
    is_default       INTEGER NOT NULL DEFAULT 0,     -- followed on /start when any channel is
    position         INTEGER NOT NULL DEFAULT 0,     -- order in lists
    created_at       INTEGER NOT NULL
);

-- The channels an article belongs to, from its categories and its source.
CREATE TABLE article_channels (
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, channel_id)
) WITHOUT ROWID;

-- The channels a subscriber follows, when it does not follow everything.
CREATE TABLE follows (
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    channel_id     INTEGER NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, channel_id)
) WITHOUT ROWID;

-- Include and exclude words, folded (lower case, no accents).
CREATE TABLE keyword_filters (
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('include', 'exclude')),
    keyword        TEXT    NOT NULL,
    PRIMARY KEY (subscriber_id, kind, keyword)
) WITHOUT ROWID;

-- Stories held for a subscriber's next digest (digest mode, or quiet hours).
CREATE TABLE held_stories (
    subscriber_id  INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    broadcast_id   INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    held_at        INTEGER NOT NULL,
    digest_id      INTEGER REFERENCES broadcasts(id) ON DELETE SET NULL,  -- the digest it went out in
    PRIMARY KEY (subscriber_id, broadcast_id)
) WITHOUT ROWID;
CREATE INDEX held_stories_by_broadcast ON held_stories (broadcast_id);
CREATE INDEX held_stories_waiting ON held_stories (subscriber_id) WHERE digest_id IS NULL;

-- A broadcast's message in each language kabar speaks; broadcasts.body_html is the default.
CREATE TABLE broadcast_bodies (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    language      TEXT    NOT NULL,
    body_html     TEXT    NOT NULL,
    caption_html  TEXT,                -- the same within a photo caption's limit, when there is a photo
    PRIMARY KEY (broadcast_id, language)
) WITHOUT ROWID;

-- The resolved language ('en', 'id'); chosen with /lang, or else from Telegram's language_code.
ALTER TABLE subscribers ADD COLUMN language TEXT;
ALTER TABLE subscribers ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0;
-- 1: every channel, including ones added later; 0: only the rows in follows.
ALTER TABLE subscribers ADD COLUMN all_channels INTEGER NOT NULL DEFAULT 1;
ALTER TABLE subscribers ADD COLUMN delivery_mode TEXT NOT NULL DEFAULT 'instant';  -- 'instant', 'hourly', 'daily:H'
ALTER TABLE subscribers ADD COLUMN quiet_hours TEXT;                              -- 'START-END' in minutes
ALTER TABLE subscribers ADD COLUMN timezone TEXT;                                 -- IANA name; NULL: the default
ALTER TABLE subscribers ADD COLUMN breaking_instant INTEGER NOT NULL DEFAULT 1;
ALTER TABLE subscribers ADD COLUMN has_filters INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscribers ADD COLUMN last_digest_at INTEGER;
-- When the oldest story still waiting for this subscriber's digest was held; NULL when none
-- waits. The digest sender looks only at these rows, not at every held story.
ALTER TABLE subscribers ADD COLUMN held_since INTEGER;
CREATE INDEX subscribers_holding ON subscribers (held_since) WHERE held_since IS NOT NULL;
-- Who made the bot a member of a group or channel: the admin asked to set it up.
ALTER TABLE subscribers ADD COLUMN added_by INTEGER;

-- For digests: a one-line headline; for keyword filters: the folded title and summary.
ALTER TABLE broadcasts ADD COLUMN headline TEXT;
ALTER TABLE broadcasts ADD COLUMN match_text TEXT;

-- Sent without a notification sound (breaking news in quiet hours).
ALTER TABLE deliveries ADD COLUMN silent INTEGER NOT NULL DEFAULT 0;
-- A message of its own (a digest); NULL: the broadcast's body in the subscriber's language.
ALTER TABLE deliveries ADD COLUMN body_html TEXT;
