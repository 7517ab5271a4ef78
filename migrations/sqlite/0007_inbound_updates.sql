-- Webhook mode: each update Telegram posts is stored before it is acknowledged, and removed only
-- once handled, so a crash between the two loses none (Telegram does not send it again).
CREATE TABLE inbound_updates (
    update_id    INTEGER PRIMARY KEY,
    body         TEXT    NOT NULL,   -- the update's JSON, as received
    received_at  INTEGER NOT NULL
);
