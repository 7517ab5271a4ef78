//! kabar — a news-channel broadcast bot.
//!
//! Kabar watches news sites for newly published articles, writes a short summary of each with its
//! link, and pushes it to everyone who follows the channel in a chat app, never faster than the chat
//! platform allows. Subscriptions, articles and the delivery queue live in the database, so a crash
//! or a restart loses nothing.
//!
//! # Layout
//! The modules follow the flow of a story through the system, in layers: each uses only those
//! below it (`tests/layers.rs` checks it; `docs/ARCHITECTURE.md` draws it).
//!
//! ```text
//! sources ──poll──▶ articles ──summarise/render──▶ broadcasts ──fan out──▶ deliveries ──pace──▶ transport
//! ```
//!
//! - [`text`] and [`domain`]: text helpers, and the types every layer speaks.
//! - [`config`], [`locale`], [`metrics`], [`telemetry`]: settings, words, counters, logs.
//! - [`store`]: SQLite through sqlx; the only SQL in kabar.
//! - [`article`], [`audience`], [`render`]: summaries; channels; messages per platform and language.
//! - [`delivery`]: the outbox engine, a neutral transport, per-platform pacing.
//! - [`sources`]: fetching and reading watched sites safely.
//! - [`services`]: every action that changes state, for every edge alike.
//! - [`telegram`] and [`http`]: the edges readers, editors and operators reach.
//! - [`app`]: wires everything together: `Application::build` then `run_until_stopped`.
//! - [`demo`] and [`cli`]: the commands of the `kabar` binary.

pub mod app;
pub mod article;
pub mod audience;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod http;
pub mod locale;
pub mod metrics;
pub mod render;
pub mod services;
pub mod sources;
pub mod store;
pub mod telegram;
pub mod telemetry;
pub mod text;
