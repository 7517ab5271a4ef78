//! `Idempotency-Key`: a retried request is answered again rather than carried out again.

/// A request made with an `Idempotency-Key`.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The route it was used on: one key may be reused on another route.
    pub route: &'static str,
    pub key: String,
    /// A hash of the request itself.
    pub request_hash: String,
}

/// What is known of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remembered {
    /// Never used: carry the request out.
    New,
    /// Used for this very request: answer this again.
    Answer { status: u16, body: String },
    /// Used for another request: refuse.
    OtherRequest,
}
