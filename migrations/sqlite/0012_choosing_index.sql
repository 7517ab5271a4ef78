-- The store's SQL is now written once for SQLite and PostgreSQL, whose flags are booleans, so
-- it says `has_filters = TRUE`. SQLite uses a partial index only for a query whose condition
-- matches the index's as written, so the index says it the same way.
DROP INDEX subscribers_choosing;
CREATE INDEX subscribers_choosing ON subscribers (id)
    WHERE delivery_mode != 'instant' OR quiet_hours IS NOT NULL OR has_filters = TRUE;
