//! A chat platform, seen from the delivery engine: send, edit and delete, with addresses and
//! message ids as text and messages already in the platform's markup. Each platform implements
//! it in its own module; nothing here knows a wire format.

use std::{future::Future, pin::Pin, time::Duration};

use crate::domain::{ChatKind, InactiveReason, Platform, Recipient};

/// A message ready to go to one chat.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMessage {
    /// The text in the platform's markup.
    pub text: String,
    /// The page whose preview is shown under the text.
    pub link_preview_url: Option<String>,
    /// Send as this photo with a caption instead of as text.
    pub photo: Option<Photo>,
    /// Deliver without a notification sound.
    pub silent: bool,
}

/// A photo by URL, with its caption in the platform's markup, within the caption limit.
#[derive(Debug, Clone)]
pub struct Photo {
    pub url: String,
    pub caption: String,
}

impl OutgoingMessage {
    /// The same message as text with a link preview, for when its photo cannot be sent.
    pub fn without_photo(&self) -> OutgoingMessage {
        OutgoingMessage { photo: None, ..self.clone() }
    }
}

/// Why a send, an edit or a delete did not go through, classified by what must happen next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Flood control: wait this long before sending again.
    #[error("rate limited, retry after {0:?}")]
    RetryAfter(Duration),
    /// The chat cannot receive messages any more (blocked the bot, account deleted, kicked).
    #[error("the chat is gone: {0}")]
    ChatGone(InactiveReason),
    /// The chat has a new address on the platform, as a chat of `kind`.
    #[error("the chat moved to {new_address}")]
    Moved { new_address: String, kind: ChatKind },
    /// The platform refused this message for good (bad markup, too long, ...).
    #[error("rejected: {0}")]
    Rejected(String),
    /// A passing failure (network, timeout, server error): worth retrying later.
    #[error("temporary failure: {0}")]
    Temporary(String),
    /// The platform will not send this photo. The story can still go as text; `bad_photo` when
    /// the photo itself is at fault (cannot be fetched or read), so that other chats need not
    /// try it.
    #[error("photo refused: {reason}")]
    PhotoRefused { reason: String, bad_photo: bool },
}

/// A boxed future, so that transports can live behind `Arc<dyn Transport>`.
pub type TransportFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, SendFailure>> + Send + 'a>>;

/// A class of chats a platform paces more strictly than one chat alone (Telegram's groups), by a
/// name its pacing rules use.
pub type PaceClass = &'static str;

/// One chat platform's way of sending.
pub trait Transport: Send + Sync + 'static {
    /// The platform this transport reaches.
    fn platform(&self) -> Platform;

    /// The pacing class of a chat of `kind`, when the platform has a stricter limit for it.
    fn pace_class(&self, kind: ChatKind) -> Option<PaceClass> {
        let _ = kind;
        None
    }

    /// Sends one message into one chat; returns the platform's id of the message.
    fn send<'a>(&'a self, to: &'a Recipient, message: &'a OutgoingMessage) -> TransportFuture<'a, String>;

    /// Replaces a message sent earlier with `message` (a correction).
    fn edit<'a>(
        &'a self,
        to: &'a Recipient,
        message_id: &'a str,
        message: &'a OutgoingMessage,
    ) -> TransportFuture<'a, ()>;

    /// Takes a message sent earlier out of the chat (a recall).
    fn delete<'a>(&'a self, to: &'a Recipient, message_id: &'a str) -> TransportFuture<'a, ()>;

    /// How long after sending a message may still be deleted; None when it never may.
    fn deletable_for(&self) -> Option<Duration>;
}
