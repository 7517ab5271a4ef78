//! The chat platform, seen from the delivery engine.

use std::{future::Future, pin::Pin, time::Duration};

/// A message ready to go to one chat.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMessage {
    /// The text in the platform's markup (Telegram HTML).
    pub html: String,
    /// The page whose preview is shown under the text.
    pub link_preview_url: Option<String>,
    /// Send as this photo with a caption instead of as text.
    pub photo: Option<Photo>,
    /// Deliver without a notification sound.
    pub silent: bool,
}

/// A photo by URL, with its caption (Telegram HTML, within the caption limit).
#[derive(Debug, Clone)]
pub struct Photo {
    pub url: String,
    pub caption_html: String,
}

impl OutgoingMessage {
    /// The same message as text with a link preview, for when its photo cannot be sent.
    pub fn without_photo(&self) -> OutgoingMessage {
        OutgoingMessage { photo: None, ..self.clone() }
    }
}

/// Why a send did not go through, classified by what the engine must do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Flood control: wait this long before sending again.
    #[error("rate limited, retry after {0:?}")]
    RetryAfter(Duration),
    /// The chat cannot receive messages any more (blocked the bot, account deleted, kicked).
    #[error("chat is gone: {0}")]
    ChatGone(String),
    /// A group became a supergroup with this new chat id.
    #[error("chat moved to {0}")]
    ChatMoved(i64),
    /// The platform refused this message for good (bad markup, too long, ...).
    #[error("rejected: {0}")]
    Rejected(String),
    /// A passing failure (network, timeout, server error): worth retrying later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The platform answered that it will not send this photo. The story can still go as text;
    /// `bad_photo` when the photo itself is at fault (cannot be fetched or read), so that other
    /// chats need not try it.
    #[error("photo refused: {reason}")]
    PhotoRefused { reason: String, bad_photo: bool },
}

/// A boxed future, so that transports can live behind `Arc<dyn Transport>`.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<i64, SendFailure>> + Send + 'a>>;

/// Sends one message into one chat and returns the platform's message id.
pub trait Transport: Send + Sync + 'static {
    fn send<'a>(&'a self, chat_id: i64, message: &'a OutgoingMessage) -> SendFuture<'a>;

    /// Replaces a message sent earlier with `message` (a correction); returns its id. Transports
    /// that cannot edit refuse.
    fn edit<'a>(&'a self, chat_id: i64, message_id: i64, message: &'a OutgoingMessage) -> SendFuture<'a> {
        let _ = (chat_id, message, message_id);
        Box::pin(async { Err(SendFailure::Rejected("this transport cannot edit messages".into())) })
    }
}
