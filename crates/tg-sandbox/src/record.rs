//! What the bot did, as a reader and a test see it: every message, edit and deletion, every
//! rejected request, every answered callback query.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use tokio::sync::Notify;

use crate::html::MessageEntity;

/// What a [`SentMessage`] record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SentKind {
    /// A new message (`sendMessage`, `sendPhoto`).
    Message,
    /// An edit of an earlier message.
    Edit,
    /// A deletion (`deleteMessage`).
    Deletion,
}

/// The photo a message carried, as the bot gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoInput {
    /// An HTTP URL for Telegram to fetch.
    Url(String),
    /// A `file_id` the sandbox issued earlier.
    FileId(String),
    /// A multipart upload.
    Upload {
        /// The part's file name.
        file_name: String,
        /// Bytes received.
        size: usize,
    },
}

/// One thing the bot did to a chat.
#[derive(Clone, Debug, Serialize)]
pub struct SentMessage {
    /// Message, edit or deletion.
    pub kind: SentKind,
    /// The Bot API method, canonically spelled (`sendMessage`).
    pub method: &'static str,
    /// The chat.
    pub chat_id: i64,
    /// The message created, edited or deleted.
    pub message_id: i32,
    /// Text or caption as the bot sent it (HTML source when `parse_mode` is HTML).
    pub text: Option<String>,
    /// What a reader sees: tags removed, `&lt;` decoded, whitespace trimmed.
    pub plain_text: Option<String>,
    /// Entities the reader's client renders.
    pub entities: Vec<MessageEntity>,
    /// `parse_mode` as given.
    pub parse_mode: Option<String>,
    /// `reply_markup` as given (any keyboard kind).
    pub reply_markup: Option<Value>,
    /// `disable_notification`.
    pub disable_notification: bool,
    /// `link_preview_options` as given.
    pub link_preview_options: Option<Value>,
    /// The message replied to, from `reply_parameters`.
    pub reply_to_message_id: Option<i32>,
    /// The photo, for `sendPhoto`.
    pub photo: Option<PhotoInput>,
    /// When the sandbox accepted it.
    #[serde(skip)]
    pub at: Instant,
    /// The same moment in Unix milliseconds.
    pub unix_millis: u64,
}

impl SentMessage {
    /// A record with only its identity; callers fill in what applies.
    pub(crate) fn bare(
        kind: SentKind,
        method: &'static str,
        chat_id: i64,
        message_id: i32,
        at: Instant,
        unix_millis: u64,
    ) -> Self {
        SentMessage {
            kind,
            method,
            chat_id,
            message_id,
            text: None,
            plain_text: None,
            entities: Vec::new(),
            parse_mode: None,
            reply_markup: None,
            disable_notification: false,
            link_preview_options: None,
            reply_to_message_id: None,
            photo: None,
            at,
            unix_millis,
        }
    }
}

/// A request the sandbox refused (any non-2xx answer to a Bot API call).
#[derive(Clone, Debug, Serialize)]
pub struct Rejection {
    /// The method as called, canonically spelled when known.
    pub method: String,
    /// The numeric `chat_id` parameter, if any.
    pub chat_id: Option<i64>,
    /// HTTP status.
    pub status: u16,
    /// Telegram's description.
    pub description: String,
    /// `parameters.retry_after` of a 429.
    pub retry_after: Option<u32>,
    /// When.
    #[serde(skip)]
    pub at: Instant,
    /// The same moment in Unix milliseconds.
    pub unix_millis: u64,
}

/// An `answerCallbackQuery` call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallbackAnswer {
    /// The query answered.
    pub callback_query_id: String,
    /// Toast or alert text.
    pub text: Option<String>,
    /// Alert instead of toast.
    pub show_alert: bool,
    /// URL to open.
    pub url: Option<String>,
}

#[derive(Default)]
struct Log {
    entries: Vec<SentMessage>,
    /// Indices of new messages per chat, so waiting on a chat is O(1) per check.
    messages_by_chat: HashMap<i64, Vec<usize>>,
    rejections: Vec<Rejection>,
    answers: Vec<CallbackAnswer>,
}

/// The record and the signal that wakes [`Recorder::wait_for_messages`].
#[derive(Default)]
pub(crate) struct Recorder {
    log: Mutex<Log>,
    changed: Notify,
}

/// Now, as Unix milliseconds.
pub(crate) fn unix_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

impl Recorder {
    fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        // A panicking test thread must not poison the record for the others.
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self, entry: SentMessage) {
        let mut log = self.log();
        if entry.kind == SentKind::Message {
            let index = log.entries.len();
            log.messages_by_chat.entry(entry.chat_id).or_default().push(index);
        }
        log.entries.push(entry);
        drop(log);
        self.changed.notify_waiters();
    }

    pub fn reject(&self, rejection: Rejection) {
        self.log().rejections.push(rejection);
    }

    pub fn answer(&self, answer: CallbackAnswer) {
        self.log().answers.push(answer);
    }

    pub fn entries(&self, chat_id: Option<i64>) -> Vec<SentMessage> {
        let log = self.log();
        log.entries.iter().filter(|e| chat_id.is_none_or(|id| e.chat_id == id)).cloned().collect()
    }

    fn messages_to(log: &Log, chat_id: i64) -> Vec<SentMessage> {
        let indices = log.messages_by_chat.get(&chat_id).map_or(&[][..], Vec::as_slice);
        indices.iter().map(|i| log.entries[*i].clone()).collect()
    }

    /// Resolves once `chat_id` has received `count` new messages, or at `timeout` with what
    /// it has.
    pub async fn wait_for_messages(&self, chat_id: i64, count: usize, timeout: Duration) -> Vec<SentMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Registered before checking, so a push between check and await is not missed.
            changed.as_mut().enable();
            {
                let log = self.log();
                let have = log.messages_by_chat.get(&chat_id).map_or(0, Vec::len);
                if have >= count {
                    return Self::messages_to(&log, chat_id);
                }
            }
            tokio::select! {
                () = &mut changed => {}
                () = tokio::time::sleep_until(deadline) => {
                    return Self::messages_to(&self.log(), chat_id);
                }
            }
        }
    }

    pub fn rejections(&self) -> Vec<Rejection> {
        self.log().rejections.clone()
    }

    pub fn count_status(&self, status: u16) -> usize {
        self.log().rejections.iter().filter(|r| r.status == status).count()
    }

    pub fn answers(&self) -> Vec<CallbackAnswer> {
        self.log().answers.clone()
    }

    /// Moments of the records that counted towards the limits, optionally for one chat.
    fn limited_moments(&self, chat_id: Option<i64>, edits_count: bool) -> Vec<(Instant, u64)> {
        let log = self.log();
        log.entries
            .iter()
            .filter(|e| chat_id.is_none_or(|id| e.chat_id == id))
            .filter(|e| e.kind == SentKind::Message || (edits_count && e.kind == SentKind::Edit))
            .map(|e| (e.at, e.unix_millis))
            .collect()
    }

    pub fn per_second(&self, edits_count: bool) -> Vec<(u64, usize)> {
        let mut seconds = BTreeMap::new();
        for (_, millis) in self.limited_moments(None, edits_count) {
            *seconds.entry(millis / 1000).or_insert(0) += 1;
        }
        seconds.into_iter().collect()
    }

    pub fn max_in_window(&self, window: Duration, chat_id: Option<i64>, edits_count: bool) -> usize {
        let mut moments: Vec<Instant> =
            self.limited_moments(chat_id, edits_count).into_iter().map(|(at, _)| at).collect();
        moments.sort_unstable();
        let (mut start, mut best) = (0, 0);
        for end in 0..moments.len() {
            while moments[end].duration_since(moments[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    pub fn clear(&self) {
        *self.log() = Log::default();
    }
}
