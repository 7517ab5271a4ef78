-- Editors added at run time with `kabar editors add`, beside the config's `editors.user_ids`:
-- a newsroom changes hands without a restart or a config edit.
CREATE TABLE editors (
    user_id   INTEGER PRIMARY KEY,  -- the Telegram user id
    name      TEXT,                 -- a note for operators: who this is
    added_at  INTEGER NOT NULL
);
