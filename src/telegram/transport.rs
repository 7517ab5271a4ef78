//! The Telegram transport: one `sendMessage` (or `sendPhoto`) per delivery, `editMessageText` for
//! corrections and `deleteMessage` for recalls, teloxide's typed errors matched into outcomes.
//! Addresses are chat ids and message ids are Telegram's, as text at the boundary.

use std::time::Duration;

use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{InputFile, LinkPreviewOptions, MessageId, ParseMode},
};

use super::pacing;
use crate::{
    delivery::{OutgoingMessage, PaceClass, Photo, SendFailure, Transport, transport::TransportFuture},
    domain::{ChatKind, InactiveReason, Platform, Recipient},
};

/// Telegram lets a bot delete its messages for this long.
const DELETABLE_FOR: Duration = Duration::from_secs(48 * 3600);

/// Sends deliveries through a teloxide [`Bot`].
#[derive(Clone, Debug)]
pub struct TelegramTransport {
    bot: Bot,
}

impl Transport for TelegramTransport {
    fn platform(&self) -> Platform {
        Platform::Telegram
    }

    fn pace_class(&self, kind: ChatKind) -> Option<PaceClass> {
        pacing::class_of(kind)
    }

    fn send<'a>(&'a self, to: &'a Recipient, message: &'a OutgoingMessage) -> TransportFuture<'a, String> {
        Box::pin(async move {
            let chat = chat_id(to)?;
            let sent = match &message.photo {
                Some(photo) => self.send_photo(chat, photo, message.silent).await?,
                None => self.send_text(chat, message).await?,
            };
            Ok(sent.0.to_string())
        })
    }

    fn edit<'a>(
        &'a self,
        to: &'a Recipient,
        message_id: &'a str,
        message: &'a OutgoingMessage,
    ) -> TransportFuture<'a, ()> {
        Box::pin(async move {
            let (chat, id) = (chat_id(to)?, telegram_message_id(message_id)?);
            // A story with a photo may have gone as text (the photo was refused): its caption
            // is edited first, and its text when there is no caption to edit.
            if let Some(photo) = &message.photo {
                let caption = self.bot.edit_message_caption(chat, id).caption(&photo.caption);
                if caption.parse_mode(ParseMode::Html).await.is_ok() {
                    return Ok(());
                }
            }
            let text = self.bot.edit_message_text(chat, id, &message.text).parse_mode(ParseMode::Html);
            match text.await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
                Err(error) => Err(classify(error)),
            }
        })
    }

    fn delete<'a>(&'a self, to: &'a Recipient, message_id: &'a str) -> TransportFuture<'a, ()> {
        Box::pin(async move {
            let (chat, id) = (chat_id(to)?, telegram_message_id(message_id)?);
            self.bot.delete_message(chat, id).await.map(|_| ()).map_err(classify)
        })
    }

    fn deletable_for(&self) -> Option<Duration> {
        Some(DELETABLE_FOR)
    }
}

impl TelegramTransport {
    pub fn new(bot: Bot) -> TelegramTransport {
        TelegramTransport { bot }
    }

    async fn send_photo(&self, chat: ChatId, photo: &Photo, silent: bool) -> Result<MessageId, SendFailure> {
        let url = url::Url::parse(&photo.url)
            .map_err(|e| SendFailure::PhotoRefused { reason: format!("photo URL: {e}"), bad_photo: true })?;
        let request = self
            .bot
            .send_photo(chat, InputFile::url(url))
            .caption(&photo.caption)
            .parse_mode(ParseMode::Html)
            .disable_notification(silent);
        request.await.map(|sent| sent.id).map_err(classify_photo_failure)
    }

    async fn send_text(&self, chat: ChatId, message: &OutgoingMessage) -> Result<MessageId, SendFailure> {
        let mut request = self.bot.send_message(chat, &message.text).parse_mode(ParseMode::Html);
        if let Some(url) = &message.link_preview_url {
            request = request.link_preview_options(LinkPreviewOptions {
                is_disabled: false,
                url: Some(url.clone()),
                prefer_small_media: false,
                prefer_large_media: true,
                show_above_text: false,
            });
        }
        request.disable_notification(message.silent).await.map(|sent| sent.id).map_err(classify)
    }
}

/// The Telegram chat a recipient's address names.
fn chat_id(recipient: &Recipient) -> Result<ChatId, SendFailure> {
    recipient
        .address
        .parse()
        .map(ChatId)
        .map_err(|_| SendFailure::Rejected(format!("{recipient} is not a Telegram chat id")))
}

fn telegram_message_id(message_id: &str) -> Result<MessageId, SendFailure> {
    message_id
        .parse()
        .map(MessageId)
        .map_err(|_| SendFailure::Rejected(format!("{message_id} is not a Telegram message id")))
}

/// What a teloxide error means for a delivery.
pub fn classify(error: RequestError) -> SendFailure {
    match error {
        RequestError::RetryAfter(wait) => SendFailure::RetryAfter(wait.duration()),
        RequestError::MigrateToChatId(chat) => {
            SendFailure::Moved { new_address: chat.0.to_string(), kind: ChatKind::Supergroup }
        }
        RequestError::Api(api) => classify_api(api),
        RequestError::Network(error) => SendFailure::Temporary(format!("network: {error}")),
        // A proxy in front of the Bot API answers 502 with an HTML page: passing, not final.
        RequestError::InvalidJson { .. } => {
            SendFailure::Temporary("the Bot API answered with something other than JSON".into())
        }
        RequestError::Io(error) => SendFailure::Temporary(format!("i/o: {error}")),
    }
}

/// A photo's failure: a refusal by the Bot API (any answer that is not about the chat or the
/// flood limit) lets the story go as text; a network failure says nothing about the photo (it may
/// even have been sent) and is retried as it is.
fn classify_photo_failure(error: RequestError) -> SendFailure {
    let refusal = match &error {
        RequestError::Api(api) => api.clone(),
        _ => return classify(error),
    };
    match classify_api(refusal.clone()) {
        SendFailure::ChatGone(reason) => SendFailure::ChatGone(reason),
        _ => {
            let bad_photo = matches!(
                refusal,
                ApiError::WrongFileIdOrUrl
                    | ApiError::FailedToGetUrlContent
                    | ApiError::ImageProcessFailed
                    | ApiError::WrongFileId
            );
            SendFailure::PhotoRefused { reason: refusal.to_string(), bad_photo }
        }
    }
}

fn classify_api(error: ApiError) -> SendFailure {
    let gone = |reason| SendFailure::ChatGone(reason);
    match error {
        ApiError::BotBlocked => gone(InactiveReason::Blocked),
        ApiError::UserDeactivated => gone(InactiveReason::Deactivated),
        ApiError::BotKicked | ApiError::BotKickedFromSupergroup | ApiError::BotKickedFromChannel => {
            gone(InactiveReason::Kicked)
        }
        ApiError::ChatNotFound => gone(InactiveReason::ChatNotFound),
        ApiError::GroupDeactivated => gone(InactiveReason::GroupDeactivated),
        ApiError::CantInitiateConversation => gone(InactiveReason::NeverStarted),
        // teloxide drops the HTTP status, so an unrecognised description may be a 5xx: retry it,
        // within the attempt limit, rather than lose a message to a server hiccup.
        ApiError::Unknown(description) => SendFailure::Temporary(description),
        other => SendFailure::Rejected(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    #[test]
    fn a_flood_wait_keeps_its_duration() {
        let failure = classify(RequestError::RetryAfter(Seconds::from_seconds(7)));
        assert_eq!(failure, SendFailure::RetryAfter(std::time::Duration::from_secs(7)));
    }

    #[test]
    fn a_blocked_reader_is_gone() {
        assert_eq!(classify(RequestError::Api(ApiError::BotBlocked)), SendFailure::ChatGone(InactiveReason::Blocked));
    }

    #[test]
    fn a_migrated_group_moves() {
        let moved = SendFailure::Moved { new_address: "-1000042".into(), kind: ChatKind::Supergroup };
        assert_eq!(classify(RequestError::MigrateToChatId(ChatId(-1_000_042))), moved);
    }

    #[test]
    fn bad_markup_is_rejected_for_good() {
        let failure =
            classify(RequestError::Api(ApiError::CantParseEntities("Bad Request: can't parse entities".into())));
        assert!(matches!(failure, SendFailure::Rejected(_)));
        assert!(matches!(classify(RequestError::Api(ApiError::MessageIsTooLong)), SendFailure::Rejected(_)));
    }

    #[test]
    fn a_photo_the_bot_api_refuses_lets_the_story_go_as_text() {
        let refused = classify_photo_failure(RequestError::Api(ApiError::FailedToGetUrlContent));
        assert!(matches!(refused, SendFailure::PhotoRefused { bad_photo: true, .. }));
        let not_found = classify_photo_failure(RequestError::Api(ApiError::Unknown("Not Found".into())));
        assert!(matches!(not_found, SendFailure::PhotoRefused { bad_photo: false, .. }));
        let blocked = classify_photo_failure(RequestError::Api(ApiError::BotBlocked));
        assert_eq!(blocked, SendFailure::ChatGone(InactiveReason::Blocked));
    }

    #[test]
    fn an_address_that_is_no_telegram_chat_id_is_refused_before_any_request() {
        let failure = chat_id(&Recipient::new(Platform::Telegram, "+62 812")).unwrap_err();
        assert!(matches!(failure, SendFailure::Rejected(_)));
        assert_eq!(chat_id(&Recipient::telegram(-100)).unwrap(), ChatId(-100));
    }

    #[test]
    fn an_unrecognised_error_is_retried() {
        assert!(matches!(
            classify(RequestError::Api(ApiError::Unknown("Internal Server Error".into()))),
            SendFailure::Temporary(_)
        ));
    }
}
