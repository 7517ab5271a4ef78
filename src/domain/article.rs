//! Articles: every item a source ever showed, and the stories pushed from them.

use sqlx::FromRow;

/// An item about to be recorded.
#[derive(Debug, Clone, Default)]
pub struct NewArticle {
    /// None for articles that came through the CMS hook rather than a watched source.
    pub source_id: Option<i64>,
    /// The feed's guid, else its link: stable across re-dating and reordering.
    pub item_key: String,
    /// The link without tracking parameters and fragment.
    pub canonical_url: Option<String>,
    /// A hash of the title's words, for the same story under another URL or id.
    pub fingerprint: Option<String>,
    pub title: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub image_url: Option<String>,
    /// Unix ms.
    pub published_at: Option<i64>,
}

/// A story as it was pushed, for correcting what was sent when its site changes it.
#[derive(Debug, Clone, FromRow)]
pub struct PushedStory {
    pub article_id: i64,
    pub broadcast_id: i64,
    pub title: String,
    pub summary: Option<String>,
    pub url: Option<String>,
    pub image_url: Option<String>,
}

/// A stored article.
#[derive(Debug, Clone, FromRow)]
pub struct ArticleRecord {
    pub id: i64,
    pub source_id: Option<i64>,
    pub title: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    /// False for items recorded as backlog at a source's first poll.
    pub pushed: bool,
}
