//! kabar — a news-channel broadcast bot.
//!
//! Kabar watches news sites for newly published articles, writes a short summary of each with its
//! link, and pushes it to everyone who follows the channel in a chat app, never faster than the chat
//! platform allows. Subscriptions, articles and the delivery queue live in SQLite, so a crash or a
//! restart loses nothing.
//!
//! # Layout
//! The modules follow the flow of a story through the system:
//!
//! ```text
//! sources ──poll──▶ articles ──summarise/render──▶ broadcasts ──fan out──▶ deliveries ──pace──▶ transport
//! ```
//!
//! - [`config`]: the typed settings tree, file + `KABAR_` environment layering, validation.
//! - [`store`]: SQLite through sqlx: the pool, migrations, one file per table group.
//! - [`sources`]: fetching feeds with caps and timeouts, parsing them, polling on a schedule.
//! - [`article`]: extracting an article's text, removing boilerplate, writing the summary.
//! - [`audience`]: who gets a story and when: channels, keyword filters, schedules, digests.
//! - [`render`]: message templates and Telegram HTML escaping within the platform's length limits.
//! - [`delivery`]: fan-out into the outbox, pacing, the workers and outcome classification.
//! - [`telegram`]: the teloxide transport, the dispatcher schema and the chat commands.
//! - [`http`]: health, metrics and the admin API.
//! - [`app`]: wires everything together: `Application::build` then `run_until_stopped`.
//! - [`cli`] and [`demo`]: the commands of the `kabar` binary.

pub mod app;
pub mod article;
pub mod audience;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod demo;
pub mod http;
pub mod locale;
pub mod metrics;
pub mod render;
pub mod shutdown;
pub mod sources;
pub mod store;
pub mod telegram;
pub mod telemetry;
pub mod text;
