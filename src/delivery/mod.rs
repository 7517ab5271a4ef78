//! From queued deliveries to messages in readers' chats, never faster than the limits allow.
//!
//! - [`transport`]: a chat platform behind a neutral trait (send, edit, delete); each platform
//!   implements it in its own module.
//! - [`pacer`]: one platform's limits (the account's, each chat's, each class of chats'), shared
//!   by everything sent there.
//! - [`outlet`]: the platforms an instance sends to, each a transport with its pacer.
//! - [`engine`]: the workers that claim due rows from the outbox and record outcomes;
//!   `attempt`: one send and what its answer means; [`sent`]: corrections and recalls.

mod attempt;
pub mod engine;
pub mod outlet;
pub mod pacer;
pub mod send_right;
pub mod sent;
pub mod transport;

pub use engine::DeliveryEngine;
pub use outlet::{Outlet, Outlets};
pub use pacer::{Admission, PaceRules, Pacer, Rate};
pub use send_right::SendRight;
pub use sent::SentReport;
pub use transport::{OutgoingMessage, PaceClass, Photo, SendFailure, Transport};
