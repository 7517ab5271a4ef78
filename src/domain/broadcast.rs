//! Broadcasts: one message pushed to every subscriber it concerns, written once per platform and
//! language, and how far its sending has come.

use serde::Serialize;

use super::{Language, Platform, stored::text_enum};

/// Send order between kinds of messages: a lower value is sent first. Stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Reply = 0,
    Breaking = 1,
    Article = 2,
    Digest = 3,
}

impl Priority {
    /// Every priority, most urgent first.
    pub const ALL: [Priority; 4] = [Priority::Reply, Priority::Breaking, Priority::Article, Priority::Digest];

    /// The stored number.
    pub fn as_stored(self) -> i64 {
        self as i64
    }

    /// Reads the stored number back; None for any other.
    pub fn from_stored(stored: i64) -> Option<Priority> {
        Priority::ALL.into_iter().find(|priority| priority.as_stored() == stored)
    }

    /// A label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Priority::Reply => "reply",
            Priority::Breaking => "breaking",
            Priority::Article => "article",
            Priority::Digest => "digest",
        }
    }
}

impl<DB: sqlx::Database> sqlx::Type<DB> for Priority
where
    i64: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <i64 as sqlx::Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <i64 as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for Priority
where
    i64: sqlx::Encode<'q, DB>,
{
    fn encode_by_ref(
        &self,
        buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <i64 as sqlx::Encode<'q, DB>>::encode(self.as_stored(), buf)
    }
}

impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for Priority
where
    i64: sqlx::Decode<'r, DB>,
{
    fn decode(value: <DB as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let stored = <i64 as sqlx::Decode<'r, DB>>::decode(value)?;
        Priority::from_stored(stored).ok_or_else(|| format!("unknown Priority {stored} in the database").into())
    }
}

text_enum! {
    /// What a broadcast carries.
    pub enum BroadcastKind {
        /// A story from a source or the CMS hook, or an announcement that is not breaking.
        Article = "article",
        Breaking = "breaking",
        /// Stories held for one reader each, gathered into one message per reader.
        Digest = "digest",
    }
}

impl BroadcastKind {
    /// The priority its deliveries are sent at.
    pub fn priority(self) -> Priority {
        match self {
            BroadcastKind::Article => Priority::Article,
            BroadcastKind::Breaking => Priority::Breaking,
            BroadcastKind::Digest => Priority::Digest,
        }
    }
}

text_enum! {
    /// Where a broadcast stands, as stored; [`BroadcastStatus`] adds whether it is done.
    pub enum BroadcastState {
        /// Waiting for an editor's confirmation; nothing queued yet.
        Draft = "draft",
        Sending = "sending",
        Cancelled = "cancelled",
        /// A draft the editor threw away.
        Discarded = "discarded",
    }
}

text_enum! {
    /// Where a broadcast stands, as the API and the editors see it.
    pub enum BroadcastStatus {
        Draft = "draft",
        Sending = "sending",
        /// Every copy has an outcome.
        Done = "done",
        Cancelled = "cancelled",
        Discarded = "discarded",
    }
}

/// What became of an editor's decision on a draft (Send or Cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftDecision<T> {
    /// Done: for Send, how many readers it was queued for.
    Done(T),
    /// Sent or cancelled before (a double tap): nothing more happens.
    AlreadyHandled,
    /// Another editor's draft: only the editor who wrote it decides.
    NotYours,
}

/// A broadcast's message for readers of one platform in one language.
#[derive(Debug, Clone)]
pub struct MessageBody {
    pub platform: Platform,
    pub language: Language,
    /// The text in the platform's markup, within the platform's text limit.
    pub text: String,
    /// The same within a photo caption's limit, when the broadcast has a photo.
    pub caption: Option<String>,
}

/// A message to push to every subscriber it concerns.
#[derive(Debug, Clone)]
pub struct NewBroadcast {
    pub kind: BroadcastKind,
    /// The message for each platform and language kabar writes.
    pub bodies: Vec<MessageBody>,
    pub link_url: Option<String>,
    pub image_url: Option<String>,
    /// One line that stands for the message in a digest: the title, or the start of the text.
    pub headline: String,
    /// The folded title and summary that readers' keyword filters are matched against; None for
    /// messages that filters do not apply to (breaking news, announcements).
    pub match_text: Option<String>,
    /// Who asked for it: "source:NAME", "api", "editor:ID", "cli".
    pub created_by: String,
}

impl NewBroadcast {
    /// A message whose text is the same for every platform and language, its first line also its
    /// headline (tests, tools).
    pub fn plain(kind: BroadcastKind, text: impl Into<String>, created_by: impl Into<String>) -> NewBroadcast {
        let text = text.into();
        let headline = text.lines().next().unwrap_or_default().to_owned();
        let bodies = Platform::ALL
            .iter()
            .flat_map(|&platform| Language::ALL.iter().map(move |&language| (platform, language)))
            .map(|(platform, language)| MessageBody { platform, language, text: text.clone(), caption: None })
            .collect();
        NewBroadcast {
            kind,
            bodies,
            link_url: None,
            image_url: None,
            headline,
            match_text: None,
            created_by: created_by.into(),
        }
    }

    /// The body for readers of `platform` in `language`; None when the broadcast has none.
    pub fn body(&self, platform: Platform, language: Language) -> Option<&MessageBody> {
        self.bodies.iter().find(|body| body.platform == platform && body.language == language)
    }
}

/// What a broadcast says to readers of one platform in one language, with its link and photo.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct BroadcastMessage {
    pub body: String,
    /// The message as the photo's caption, when the broadcast has a photo.
    pub caption: Option<String>,
    pub link_url: Option<String>,
    pub image_url: Option<String>,
}

/// Counts of a broadcast's deliveries, as the API reports them.
#[derive(Debug, Clone, Serialize)]
pub struct BroadcastProgress {
    pub id: i64,
    pub status: BroadcastStatus,
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub pending: i64,
    pub cancelled: i64,
    /// Held for readers' digests (digest mode, quiet hours), not gone out yet.
    pub held: i64,
    /// Gone out inside readers' digests.
    pub digested: i64,
}

/// A broadcast as lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct BroadcastSummary {
    pub id: i64,
    pub kind: BroadcastKind,
    pub headline: Option<String>,
    pub created_by: Option<String>,
    /// Unix ms.
    pub created_at: i64,
}

/// One story waiting in a reader's digest.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HeldStory {
    pub broadcast_id: i64,
    pub headline: String,
    pub link_url: Option<String>,
    pub breaking: bool,
}

/// A digest ready to queue: one reader's message and the stories it gathers.
#[derive(Debug, Clone)]
pub struct DueDigest {
    pub subscriber_id: i64,
    /// The message, in the reader's platform's markup and language.
    pub body: String,
    /// Every story it stands for, also those its message had no room for; stories held while
    /// it was being written wait for the next.
    pub broadcast_ids: Vec<i64>,
}
