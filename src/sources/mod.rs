//! Where stories come from: reading watched feeds, WordPress sites and article pages, safely.
//! Polling them on a schedule and publishing what is new is [`crate::services`]' job.
//!
//! - [`fetch`]: HTTP GET with caps (body size, time, redirects) and conditional requests;
//!   [`guard`]: the addresses it may reach, and the one check every URL from outside passes
//!   before kabar fetches it or hands it to a chat platform ([`guard::AddressGuard::check_url`]).
//! - [`parse`]: feeds (feed-rs) and WordPress REST answers into [`parse::FeedItem`]s, each with
//!   a key that stays the same at every poll; [`truncate`]: long answers cut to their first
//!   items before parsing.
//! - [`canonical`]: the URL a story is known by, whatever tracking junk it carries.
//! - [`discover`]: the feed behind a page's address; [`opml`]: subscription lists in and out.
//! - [`websub`]: subscribing at a feed's hub so that new items are pushed to kabar at once, and
//!   checking the hub's signatures.

pub mod canonical;
pub mod discover;
pub mod fetch;
pub mod guard;
pub mod opml;
pub mod parse;
pub mod truncate;
pub mod websub;

pub use fetch::Fetcher;
