//! The commands and the handler tree. Tests drive [`schema`] through the sandbox like any update.

use std::sync::Arc;

use teloxide::{dispatching::UpdateHandler, prelude::*, utils::command::BotCommands};

use super::{Editors, editors, readers};
use crate::{
    delivery::{DeliveryEngine, Pacer},
    render::Renderer,
    store::Store,
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
    /// Editors: push breaking news to every subscriber.
    Breaking(String),
}

/// What the handlers need, injected by the dispatcher.
pub struct BotContext {
    pub store: Store,
    pub pacer: Arc<Pacer>,
    pub renderer: Arc<Renderer>,
    pub engine: DeliveryEngine,
    pub editors: Editors,
}

/// The handler tree: commands, button taps, and changes of the bot's membership in a chat.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let on_message = Update::filter_message()
        .branch(teloxide::filter_command::<Command, _>().endpoint(on_command))
        .branch(dptree::filter(|message: Message| message.chat.is_private()).endpoint(readers::help_for_chatter));
    dptree::entry()
        .branch(on_message)
        .branch(Update::filter_callback_query().endpoint(editors::on_button))
        .branch(Update::filter_my_chat_member().endpoint(readers::on_membership_change))
}

async fn on_command(bot: Bot, message: Message, command: Command, context: Arc<BotContext>) -> anyhow::Result<()> {
    match command {
        Command::Start => readers::start(&bot, &message, &context).await,
        Command::Stop => readers::stop(&bot, &message, &context).await,
        Command::Help => readers::help(&bot, &message, &context).await,
        Command::Breaking(text) => editors::breaking(&bot, &message, &context, &text).await,
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
    fn a_command_addressed_to_the_bot_in_a_group_is_understood() {
        assert_eq!(Command::parse("/start@kabar_bot", "kabar_bot").unwrap(), Command::Start);
    }
}
