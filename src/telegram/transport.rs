//! The Telegram transport: one `sendMessage` (or `sendPhoto`) per delivery, its errors matched by type.

use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{InputFile, LinkPreviewOptions, MessageId, ParseMode},
};

use crate::delivery::{OutgoingMessage, Photo, SendFailure, Transport, transport::SendFuture};

/// Sends deliveries through a teloxide [`Bot`].
#[derive(Clone, Debug)]
pub struct TelegramTransport {
    bot: Bot,
}

impl Transport for TelegramTransport {
    fn send<'a>(&'a self, chat_id: i64, message: &'a OutgoingMessage) -> SendFuture<'a> {
        match &message.photo {
            Some(photo) => Box::pin(self.send_photo(chat_id, photo, message.silent)),
            None => Box::pin(self.send_text(chat_id, message)),
        }
    }

    fn edit<'a>(&'a self, chat_id: i64, message_id: i64, message: &'a OutgoingMessage) -> SendFuture<'a> {
        Box::pin(async move {
            let id = MessageId(message_id as i32);
            // A story with a photo may have gone as text (the photo was refused): its caption
            // is edited first, and its text when there is no caption to edit.
            if let Some(photo) = &message.photo {
                let caption = self.bot.edit_message_caption(ChatId(chat_id), id).caption(&photo.caption_html);
                if caption.parse_mode(ParseMode::Html).await.is_ok() {
                    return Ok(message_id);
                }
            }
            let text = self.bot.edit_message_text(ChatId(chat_id), id, &message.html).parse_mode(ParseMode::Html);
            match text.await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(message_id),
                Err(error) => Err(classify(error)),
            }
        })
    }
}

impl TelegramTransport {
    pub fn new(bot: Bot) -> TelegramTransport {
        TelegramTransport { bot }
    }

    async fn send_photo(&self, chat_id: i64, photo: &Photo, silent: bool) -> Result<i64, SendFailure> {
        let url = url::Url::parse(&photo.url).map_err(|e| SendFailure::Rejected(format!("photo URL: {e}")))?;
        let request = self
            .bot
            .send_photo(ChatId(chat_id), InputFile::url(url))
            .caption(&photo.caption_html)
            .parse_mode(ParseMode::Html)
            .disable_notification(silent);
        request.await.map(|sent| i64::from(sent.id.0)).map_err(classify_photo_failure)
    }

    async fn send_text(&self, chat_id: i64, message: &OutgoingMessage) -> Result<i64, SendFailure> {
        let mut request = self.bot.send_message(ChatId(chat_id), &message.html).parse_mode(ParseMode::Html);
        if let Some(url) = &message.link_preview_url {
            request = request.link_preview_options(LinkPreviewOptions {
                is_disabled: false,
                url: Some(url.clone()),
                prefer_small_media: false,
                prefer_large_media: true,
                show_above_text: false,
            });
        }
        request.disable_notification(message.silent).await.map(|sent| i64::from(sent.id.0)).map_err(classify)
    }
}

/// What a teloxide error means for a delivery.
pub fn classify(error: RequestError) -> SendFailure {
    match error {
        RequestError::RetryAfter(wait) => SendFailure::RetryAfter(wait.duration()),
        RequestError::MigrateToChatId(chat) => SendFailure::ChatMoved(chat.0),
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
    match error {
        ApiError::BotBlocked => SendFailure::ChatGone("blocked".into()),
        ApiError::UserDeactivated => SendFailure::ChatGone("deactivated".into()),
        ApiError::BotKicked | ApiError::BotKickedFromSupergroup | ApiError::BotKickedFromChannel => {
            SendFailure::ChatGone("kicked".into())
        }
        ApiError::ChatNotFound => SendFailure::ChatGone("chat not found".into()),
        ApiError::GroupDeactivated => SendFailure::ChatGone("group deactivated".into()),
        ApiError::CantInitiateConversation => SendFailure::ChatGone("never started the bot".into()),
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
        assert_eq!(classify(RequestError::Api(ApiError::BotBlocked)), SendFailure::ChatGone("blocked".into()));
    }

    #[test]
    fn a_migrated_group_moves() {
        assert_eq!(classify(RequestError::MigrateToChatId(ChatId(-1_000_042))), SendFailure::ChatMoved(-1_000_042));
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
        assert_eq!(blocked, SendFailure::ChatGone("blocked".into()));
    }

    #[test]
    fn an_unrecognised_error_is_retried() {
        assert!(matches!(
            classify(RequestError::Api(ApiError::Unknown("Internal Server Error".into()))),
            SendFailure::Temporary(_)
        ));
    }
}
