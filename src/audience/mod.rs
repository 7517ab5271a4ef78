//! Who gets a story: the channels (topics) an article belongs to, from its categories and its
//! source, by the operator's rules. Each reader's own choices (keywords, schedule) are domain
//! values the fan-out applies; digests are gathered by [`crate::services`].

pub mod channels;
