//! Who gets a story, and when: the channels (topics) it belongs to, each reader's keyword
//! filters, and their schedule (instant, a digest, quiet hours).
//!
//! - [`channels`]: which channels an article belongs to, from its categories and its source.
//! - [`keywords`]: a reader's include and exclude words, matched without case or accents.
//! - [`schedule`]: a reader's delivery mode, quiet hours and time zone.
//! - [`digests`]: gathering held stories into one message when a reader's digest is due.

pub mod channels;
pub mod digests;
pub mod keywords;
pub mod schedule;
