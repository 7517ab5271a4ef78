//! Broadcasts: announcements and breaking news from editors, the API and the CLI; drafts that
//! wait for an editor's tap; cancelling, recalling and following a push. Each push is queued,
//! counted and the senders woken here, the same way whoever asked.

use tokio::sync::oneshot;

use super::Services;
use crate::{
    delivery::SentReport,
    domain::{
        BroadcastKind, BroadcastProgress, BroadcastSummary, DraftDecision, FailedDelivery, IdempotencyKey,
        NewBroadcast, Remembered,
    },
    render::{RenderError, compose},
    services::pages::PublishError,
    store::StoreResult,
    text::is_web_link,
};

/// Broadcasts.
pub struct Newsroom<'a>(pub(super) &'a Services);

/// An announcement or breaking news whose text and link were checked.
#[derive(Debug, Clone)]
pub struct Announcement {
    text: String,
    url: Option<String>,
    breaking: bool,
}

/// Why an editor's text cannot be pushed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnouncementError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is longer than {limit} characters (it has {length})")]
    TooLong { length: usize, limit: usize },
    #[error("the url is not an absolute http(s) URL: {0}")]
    BadUrl(String),
}

/// Why a draft could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Invalid(#[from] AnnouncementError),
    /// The draft was given as a link, and the page there cannot be read.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<RenderError> for DraftError {
    fn from(error: RenderError) -> Self {
        DraftError::Internal(error.into())
    }
}

/// A push queued for its readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub recipients: i64,
}

/// A draft waiting for an editor's confirmation, with what readers will see.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: i64,
    pub broadcast: NewBroadcast,
    /// How many readers it would reach now.
    pub audience: i64,
}

/// A recall under way: the messages to take back, and its report when done.
#[derive(Debug)]
pub struct Recall {
    pub messages: i64,
    pub finished: oneshot::Receiver<SentReport>,
}

impl Newsroom<'_> {
    /// Checks an editor's text and link: the one place their length budget is enforced. The
    /// budget leaves every platform's template room around the text.
    pub fn check(&self, text: &str, url: Option<&str>, breaking: bool) -> Result<Announcement, AnnouncementError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AnnouncementError::Empty);
        }
        let (length, limit) = (text.encode_utf16().count(), self.0.inner.renderer.announcement_budget());
        if length > limit {
            return Err(AnnouncementError::TooLong { length, limit });
        }
        if let Some(url) = url.filter(|url| !is_web_link(url)) {
            return Err(AnnouncementError::BadUrl(url.to_owned()));
        }
        Ok(Announcement { text: text.to_owned(), url: url.map(str::to_owned), breaking })
    }

    /// Queues `announcement` for every active subscriber.
    pub async fn announce(&self, announcement: &Announcement, created_by: &str) -> anyhow::Result<Queued> {
        let broadcast = self.compose(announcement, created_by)?;
        let (id, recipients) = self.0.inner.store.create_broadcast(&broadcast).await?;
        let queued = Queued { id, recipients };
        self.queued(&broadcast, queued);
        Ok(queued)
    }

    /// Queues `announcement` once per `key`: the push and the answer a retry gets are written
    /// together, so even a crash between them cannot make a retry push twice. Returns what the
    /// key remembers when it was used before.
    pub async fn announce_once(
        &self,
        announcement: &Announcement,
        created_by: &str,
        key: &IdempotencyKey,
        answer: impl FnOnce(Queued) -> (u16, String),
    ) -> anyhow::Result<Result<Queued, Remembered>> {
        let broadcast = self.compose(announcement, created_by)?;
        let answer = |id, recipients| answer(Queued { id, recipients });
        let (id, recipients) = match self.0.inner.store.create_broadcast_once(&broadcast, key, answer).await? {
            Ok(created) => created,
            Err(remembered) => {
                tracing::info!(key = key.key, "a retried broadcast request was answered again");
                return Ok(Err(remembered));
            }
        };
        let queued = Queued { id, recipients };
        self.queued(&broadcast, queued);
        Ok(Ok(queued))
    }

    /// Stores breaking news that waits for its editor's confirmation. Given only a link, the
    /// news is the article there, read like any other, with that link.
    pub async fn draft(&self, text_or_link: &str, created_by: &str) -> Result<Draft, DraftError> {
        let text = text_or_link.trim();
        let as_link = url::Url::parse(text).ok().filter(|url| is_web_link(url.as_str()));
        let announcement = match as_link {
            None => self.check(text, None, true)?,
            Some(link) => {
                self.check(text, None, true)?;
                let (article, _) = self.0.pages().article_at(link.as_str()).await.map_err(|error| match error {
                    PublishError::Internal(error) => DraftError::Internal(error),
                    unreadable => DraftError::Unreadable(unreadable.to_string()),
                })?;
                let words = match article.summary {
                    Some(summary) => format!("{}\n\n{summary}", article.title),
                    None => article.title,
                };
                Announcement { text: words, url: article.url, breaking: true }
            }
        };
        let broadcast = self.compose(&announcement, created_by)?;
        let id = self.0.inner.store.create_draft(&broadcast).await.map_err(anyhow::Error::from)?;
        let audience = self.audience().await.map_err(anyhow::Error::from)?;
        Ok(Draft { id, broadcast, audience })
    }

    /// Queues a draft for every active subscriber, when `by` wrote it and it is still a draft
    /// (a double tap never sends twice).
    pub async fn confirm(&self, id: i64, by: &str) -> StoreResult<DraftDecision<i64>> {
        let decision = self.0.inner.store.confirm_draft(id, by).await?;
        match decision {
            DraftDecision::Done(recipients) => {
                self.0.inner.metrics.broadcast_queued("breaking");
                self.0.inner.engine.wake();
                tracing::info!(id, recipients, by, "breaking news confirmed");
            }
            DraftDecision::NotYours => tracing::warn!(id, by, "refused to confirm another editor's draft"),
            DraftDecision::AlreadyHandled => {}
        }
        Ok(decision)
    }

    /// Throws a draft away, when `by` wrote it and it is still a draft.
    pub async fn discard(&self, id: i64, by: &str) -> StoreResult<DraftDecision<()>> {
        let decision = self.0.inner.store.discard_draft(id, by).await?;
        if decision == DraftDecision::NotYours {
            tracing::warn!(id, by, "refused to discard another editor's draft");
        }
        Ok(decision)
    }

    /// Cancels what is not sent yet; sends in flight finish. None when there is no such broadcast.
    pub async fn cancel(&self, id: i64) -> StoreResult<Option<BroadcastProgress>> {
        let progress = self.0.inner.store.cancel_broadcast(id).await?;
        if let Some(progress) = &progress {
            tracing::info!(id, cancelled = progress.cancelled, "broadcast cancelled");
        }
        Ok(progress)
    }

    /// Takes a push back: what is not sent yet is cancelled, and the messages already sent are
    /// deleted in the background, paced, as far as each platform allows. None when there is no
    /// such broadcast.
    pub async fn recall(&self, id: i64) -> anyhow::Result<Option<Recall>> {
        let Some(progress) = self.cancel(id).await? else { return Ok(None) };
        let (report, finished) = oneshot::channel();
        let (engine, stopping) = (self.0.inner.engine.clone(), self.0.inner.stopping.clone());
        self.0.spawn(async move {
            match engine.delete_sent(id, &stopping).await {
                Ok(deleted) => {
                    tracing::info!(
                        id,
                        deleted = deleted.done,
                        failed = deleted.failed,
                        left = deleted.left,
                        "push recalled"
                    );
                    let _ = report.send(deleted);
                }
                Err(error) => tracing::error!(id, error = format!("{error:#}"), "cannot recall a push"),
            }
        });
        Ok(Some(Recall { messages: progress.sent, finished }))
    }

    /// How far a broadcast has come; None when there is no such broadcast.
    pub async fn progress(&self, id: i64) -> StoreResult<Option<BroadcastProgress>> {
        self.0.inner.store.broadcast_progress(id).await
    }

    /// A broadcast's one-line headline.
    pub async fn headline(&self, id: i64) -> StoreResult<Option<String>> {
        self.0.inner.store.broadcast_headline(id).await
    }

    /// The failed deliveries of a broadcast with their reasons, at most `limit`.
    pub async fn failures(&self, id: i64, limit: i64) -> StoreResult<Vec<FailedDelivery>> {
        self.0.inner.store.failed_deliveries(id, limit).await
    }

    /// The latest broadcasts, newest first, each with its progress.
    pub async fn recent(&self, limit: i64) -> StoreResult<Vec<(BroadcastSummary, BroadcastProgress)>> {
        let mut recent = Vec::new();
        for summary in self.0.inner.store.recent_broadcasts(limit).await? {
            if let Some(progress) = self.progress(summary.id).await? {
                recent.push((summary, progress));
            }
        }
        Ok(recent)
    }

    /// How many chats a push reaches now.
    pub async fn audience(&self) -> StoreResult<i64> {
        self.0.inner.store.count_active_subscribers().await
    }

    fn compose(&self, announcement: &Announcement, created_by: &str) -> Result<NewBroadcast, RenderError> {
        let Announcement { text, url, breaking } = announcement;
        compose::announcement(&self.0.inner.renderer, text, url.as_deref(), *breaking, created_by)
    }

    /// Counts a queued push and wakes the senders.
    fn queued(&self, broadcast: &NewBroadcast, queued: Queued) {
        let label = match broadcast.kind {
            BroadcastKind::Breaking => "breaking",
            BroadcastKind::Article => "announcement",
            BroadcastKind::Digest => "digest",
        };
        self.0.inner.metrics.broadcast_queued(label);
        self.0.inner.engine.wake();
        tracing::info!(
            id = queued.id,
            recipients = queued.recipients,
            kind = label,
            by = broadcast.created_by,
            "broadcast queued"
        );
    }
}
