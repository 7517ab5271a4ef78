//! Where stories come from: watched feeds and WordPress sites, and the CMS's "on publish" hook.
//!
//! - [`fetch`]: HTTP GET with caps (body size, time, redirects) and conditional requests;
//!   [`guard`]: the addresses it may reach.
//! - [`parse`]: feeds (feed-rs) and WordPress REST answers into [`parse::FeedItem`]s.
//! - [`canonical`]: the URL a story is known by, whatever tracking junk it carries.
//! - [`discover`]: the feed behind a page's address; [`opml`]: subscription lists in and out.
//! - [`registry`]: adding and removing sources at run time.
//! - [`publish`]: a new item → summary → rendered message → article and broadcast, at most once.
//! - [`watcher`]: polls each source on its interval, with backoff for failing ones.
//! - [`websub`]: subscribing at a feed's hub so that new items are pushed to kabar at once.

pub mod canonical;
pub mod discover;
pub mod fetch;
pub mod guard;
pub mod opml;
pub mod parse;
pub mod publish;
pub mod registry;
pub mod watcher;
pub mod websub;

pub use fetch::Fetcher;
pub use publish::{PublishOutcome, Publisher};
pub use watcher::Watcher;
