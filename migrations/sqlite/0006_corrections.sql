-- Corrections: when a site changes the title of a story already pushed, a source with
-- corrections on has the messages already sent edited instead of leaving them as they were.
ALTER TABLE sources ADD COLUMN corrections INTEGER NOT NULL DEFAULT 0;
