//! End-to-end tests: the real application, in-process, against the Telegram sandbox and the
//! sample news site on 127.0.0.1, each test with a fresh database.

mod api;
mod articles;
mod binary;
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
mod instances;
mod legacy;
mod outcomes;
mod preferences;
mod preview;
mod readers;
mod server;
mod sources;
mod storage;
mod webhook;
mod websub;
