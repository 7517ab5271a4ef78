//! The commands and the handler tree. Tests drive [`schema`] through the sandbox like any update.

use std::sync::Arc;

use teloxide::{
    dispatching::UpdateHandler,
    prelude::*,
    types::{AllowedUpdate, User},
    utils::command::BotCommands,
};

use super::{Editors, editors, membership, preferences, readers, recipient};
use crate::{
    delivery::Outlet,
    domain::{ChatKind, Language},
    services::Services,
};

/// Every command kabar understands.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// Subscribe to the news.
    Start,
    /// Unsubscribe.
    Stop,
    /// How kabar works.
    Help,
    /// Choose the channels to follow.
    Channels,
    /// What you follow, and your settings.
    Status,
    /// Choose the language.
    Lang,
    /// Delivery: instant or a digest, quiet hours, breaking news.
    Settings,
    /// `/digest instant|hourly|daily [hour]`.
    Digest(String),
    /// `/quiet 22:00-06:00` or `/quiet off`.
    Quiet(String),
    /// `/timezone Asia/Makassar` (or WIB, WITA, WIT).
    Timezone(String),
    /// `/filter +word`, `/filter -word`, `/filter remove word`, `/filter clear`.
    Filter(String),
    /// Editors: push breaking news to every subscriber.
    Breaking(String),
    /// Editors: push the article at a URL now.
    Push(String),
    /// Editors: take a push back out of readers' chats.
    Recall(String),
}

/// What the handlers need, injected by the dispatcher.
pub struct BotContext {
    pub services: Services,
    /// Telegram's transport and pacer: replies and menus are paced like every send.
    pub outlet: Outlet,
    /// The editors the config lists.
    pub editors: Editors,
}

impl BotContext {
    /// Whether `user` may use the editors' commands and buttons: listed in the config or added
    /// with `kabar editors add`. Telegram's service ids and bots never may.
    pub async fn is_editor(&self, user: Option<&User>) -> bool {
        let Some(user) = user.filter(|user| Editors::may_be_editor(user)) else { return false };
        if self.editors.listed(user) {
            return true;
        }
        self.services.editors().is_added(user.id.0 as i64).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "cannot read the editors table; treating the user as a reader");
            false
        })
    }

    /// The language for `user` before anything is stored about them.
    pub fn language_of(&self, user: Option<&User>) -> Language {
        Language::for_app_language(user.and_then(|u| u.language_code.as_deref()), self.services.defaults().language)
    }

    /// The language a chat is spoken to in: its stored one, else its user's.
    pub async fn language_in(&self, chat: ChatId, user: Option<&User>) -> anyhow::Result<Language> {
        let stored = self.services.readers().language_of(&recipient(chat)).await?;
        Ok(stored.unwrap_or_else(|| self.language_of(user)))
    }

    /// Waits for the turn of a message to `chat` (a reply, a menu, an edit), ahead of every push.
    pub async fn pace(&self, chat: ChatId, kind: ChatKind) {
        self.outlet.admit_reply(&chat.0.to_string(), kind).await;
    }
}

/// The handler tree: commands, button taps, and changes of the bot's membership in a chat.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    // Keep WANTED_UPDATES in step: Telegram sends only those kinds.
    let on_message = Update::filter_message()
        .branch(
            dptree::filter(|message: Message| message.migrate_to_chat_id().is_some())
                .endpoint(membership::on_migration),
        )
        .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
        .branch(dptree::filter(|message: Message| message.chat.is_private()).endpoint(readers::help_for_chatter));
    let on_tap = Update::filter_callback_query()
        .branch(dptree::filter(|query: CallbackQuery| editors::is_editor_button(&query)).endpoint(editors::on_button))
        .branch(dptree::endpoint(preferences::on_button));
    dptree::entry()
        .branch(on_message)
        .branch(on_tap)
        .branch(Update::filter_my_chat_member().endpoint(membership::on_change))
}

/// The kinds of update [`schema`] handles, asked of Telegram (by getUpdates and setWebhook) so
/// that it sends no others.
pub const WANTED_UPDATES: [AllowedUpdate; 3] =
    [AllowedUpdate::Message, AllowedUpdate::CallbackQuery, AllowedUpdate::MyChatMember];

async fn on_command(bot: Bot, message: Message, command: Command, context: Arc<BotContext>) -> anyhow::Result<()> {
    match command {
        Command::Start => readers::start(&bot, &message, &context).await,
        Command::Stop => readers::stop(&bot, &message, &context).await,
        Command::Help => readers::help(&bot, &message, &context).await,
        Command::Channels => preferences::channels(&bot, &message, &context).await,
        Command::Status => preferences::status(&bot, &message, &context).await,
        Command::Lang => preferences::language(&bot, &message, &context).await,
        Command::Settings => preferences::settings(&bot, &message, &context).await,
        Command::Digest(args) => preferences::digest(&bot, &message, &context, &args).await,
        Command::Quiet(args) => preferences::quiet(&bot, &message, &context, &args).await,
        Command::Timezone(args) => preferences::timezone(&bot, &message, &context, &args).await,
        Command::Filter(args) => preferences::filter(&bot, &message, &context, &args).await,
        Command::Breaking(text) => editors::breaking(&bot, &message, &context, &text).await,
        Command::Push(url) => editors::push(&bot, &message, &context, &url).await,
        Command::Recall(id) => editors::recall(&bot, &message, &context, &id).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaking_takes_the_rest_of_the_line() {
        let command = Command::parse("/breaking Gempa di Jakarta", "kabar_bot").unwrap();
        assert_eq!(command, Command::Breaking("Gempa di Jakarta".into()));
    }

    #[test]
    fn a_deep_link_start_with_a_payload_still_subscribes() {
        assert_eq!(Command::parse("/start campaign123", "kabar_bot").unwrap(), Command::Start);
    }

    #[test]
    fn setting_commands_take_their_arguments() {
        assert_eq!(Command::parse("/digest daily 7", "kabar_bot").unwrap(), Command::Digest("daily 7".into()));
        assert_eq!(Command::parse("/filter +banjir", "kabar_bot").unwrap(), Command::Filter("+banjir".into()));
        assert_eq!(Command::parse("/quiet", "kabar_bot").unwrap(), Command::Quiet(String::new()));
    }

    #[test]
    fn a_command_addressed_to_the_bot_in_a_group_is_understood() {
        assert_eq!(Command::parse("/start@kabar_bot", "kabar_bot").unwrap(), Command::Start);
    }
}
