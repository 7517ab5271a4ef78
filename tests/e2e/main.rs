//! End-to-end tests: the real application, in-process, against the Telegram sandbox and the
//! sample news site on 127.0.0.1, each test with a fresh database.

mod api;
mod articles;
mod careless_feeds;
mod channels;
mod cli;
mod corpus;
mod crash;
mod dashboard;
mod delivery;
mod editors;
mod groups;
mod helpers;
mod hostile;
mod idempotency;
mod legacy;
mod outcomes;
mod preferences;
mod preview;
mod readers;
mod sources;
mod webhook;
mod websub;
