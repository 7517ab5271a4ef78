//! From queued deliveries to messages in readers' chats, never faster than the limits allow.
//!
//! - [`transport`]: the chat platform behind a trait (Telegram first, WhatsApp's Cloud API next).
//! - [`pacer`]: the global, per-chat and per-group limits, shared by everything the bot sends.
//! - [`engine`]: the workers that claim due rows from the outbox, send them and record outcomes.

pub mod engine;
pub mod pacer;
pub mod transport;

pub use engine::DeliveryEngine;
pub use pacer::{Admission, Pacer};
pub use transport::{OutgoingMessage, Photo, SendFailure, Transport};
