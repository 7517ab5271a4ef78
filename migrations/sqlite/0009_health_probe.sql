-- One row kabar writes every few seconds: whether the disk still takes writes shows in /readyz
-- (and in /healthz once writes have failed for a while) before a reader's /start is lost to it.
CREATE TABLE health_probe (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    written_at  INTEGER NOT NULL
);
