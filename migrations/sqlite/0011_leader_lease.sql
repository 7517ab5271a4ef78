-- One instance at a time does the work that must happen once: sending (so instances sharing a
-- database share one rate budget), answering the chat, polling the sources, digests. It holds
-- this lease and renews it every few seconds; a standby takes it over once it expires. The
-- epoch grows with every new holder, so a holder can tell that its term ended.
CREATE TABLE leader_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT    NOT NULL,   -- the instance's id
    epoch       INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL    -- unix ms
);
