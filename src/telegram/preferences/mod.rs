//! Readers' preferences, by command and by button: the channels they follow, their language,
//! when they get the news (instant or a digest, quiet hours, breaking news) and keyword filters.
//! In a group or channel only its admins may change them, checked on every command and on every
//! tap, because a button stays in the chat for anyone to press.

mod buttons;
pub mod menus;

use std::sync::Arc;

use teloxide::{
    prelude::*,
    types::{ReplyMarkup, User},
};

pub use buttons::{Button, Tap};

use super::{BotContext, edit, may_manage, quote, recipient, reply, strip_markup};
use crate::{
    domain::{
        DeliveryMode, InactiveReason, KeywordAdded, KeywordKind, Language, NewSubscriber, Preference, QuietHours,
        Subscriber,
        keywords::{self, KeywordError},
        schedule::parse_zone,
    },
    locale::text,
};

/// `/channels`: the channel picker.
pub async fn channels(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let Some((subscriber, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let (body, keyboard) = channel_menu(context, &subscriber, language).await?;
    reply(bot, context, &message.chat, body, keyboard.map(ReplyMarkup::InlineKeyboard)).await?;
    Ok(())
}

/// `/status`: what the chat follows and how it gets it.
pub async fn status(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let language = context.language_in(message.chat.id, message.from.as_ref()).await?;
    let Some(subscriber) = context.services.readers().active_subscriber(&recipient(message.chat.id)).await? else {
        reply(bot, context, &message.chat, text(language, "not_subscribed", &[]), None).await?;
        return Ok(());
    };
    let body = status_text(context, &subscriber, language).await?;
    reply(bot, context, &message.chat, body, None).await?;
    Ok(())
}

/// `/lang`: the language picker.
pub async fn language(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let Some((_, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let (body, keyboard) = menus::language_menu(message.chat.id.0, language);
    reply(bot, context, &message.chat, body, Some(ReplyMarkup::InlineKeyboard(keyboard))).await?;
    Ok(())
}

/// `/settings`: delivery mode, quiet hours and breaking news, with buttons.
pub async fn settings(bot: &Bot, message: &Message, context: &BotContext) -> anyhow::Result<()> {
    let Some((subscriber, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let schedule = subscriber.schedule(context.services.defaults().zone);
    let (body, keyboard) = menus::settings_menu(&subscriber, &schedule, language);
    let body = format!("{body}\n\n{}", text(language, "settings_commands", &[]));
    reply(bot, context, &message.chat, body, Some(ReplyMarkup::InlineKeyboard(keyboard))).await?;
    Ok(())
}

/// `/digest instant|hourly|daily [hour]`.
pub async fn digest(bot: &Bot, message: &Message, context: &BotContext, args: &str) -> anyhow::Result<()> {
    let Some((subscriber, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let answer = match parse_mode(args) {
        Some(mode) => {
            context.services.readers().set_preference(subscriber.id, &Preference::Mode(mode)).await?;
            text(language, "mode_changed", &[("mode", &menus::mode_label(&mode, language))])
        }
        None => text(language, "digest_usage", &[]),
    };
    reply(bot, context, &message.chat, answer, None).await?;
    Ok(())
}

/// `/quiet 22:00-06:00` or `/quiet off`.
pub async fn quiet(bot: &Bot, message: &Message, context: &BotContext, args: &str) -> anyhow::Result<()> {
    let Some((subscriber, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let args = args.trim();
    let answer = if is_off(args) {
        context.services.readers().set_preference(subscriber.id, &Preference::QuietHours(None)).await?;
        text(language, "quiet_cleared", &[])
    } else {
        match QuietHours::parse(args) {
            Ok(quiet) => {
                let readers = context.services.readers();
                readers.set_preference(subscriber.id, &Preference::QuietHours(Some(quiet))).await?;
                let zone = subscriber.schedule(context.services.defaults().zone).zone;
                text(language, "quiet_set", &[("hours", &quiet), ("zone", &zone.name())])
            }
            Err(_) => text(language, "quiet_usage", &[]),
        }
    };
    reply(bot, context, &message.chat, answer, None).await?;
    Ok(())
}

/// `/timezone Asia/Makassar` (or WIB, WITA, WIT).
pub async fn timezone(bot: &Bot, message: &Message, context: &BotContext, args: &str) -> anyhow::Result<()> {
    let Some((subscriber, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let answer = match parse_zone(args.trim()) {
        Ok(zone) => {
            context.services.readers().set_preference(subscriber.id, &Preference::Zone(zone)).await?;
            text(language, "timezone_set", &[("zone", &zone.name())])
        }
        Err(_) if args.trim().is_empty() => text(language, "timezone_usage", &[]),
        Err(_) => text(language, "timezone_unknown", &[("zone", &quote(args))]),
    };
    reply(bot, context, &message.chat, answer, None).await?;
    Ok(())
}

/// `/filter`: show the keywords; `+word` or `word` to require, `-word` to exclude,
/// `remove word`, `clear`.
pub async fn filter(bot: &Bot, message: &Message, context: &BotContext, args: &str) -> anyhow::Result<()> {
    let Some((subscriber, language)) = managed_subscription(bot, message, context).await? else { return Ok(()) };
    let readers = context.services.readers();
    let answer = match FilterCommand::parse(args) {
        FilterCommand::Show => {
            let keywords = readers.keywords(subscriber.id).await?;
            format!("{}\n\n{}", menus::keyword_lines(&keywords, language), text(language, "filter_usage", &[]))
        }
        FilterCommand::Clear => {
            readers.remove_keywords(subscriber.id, None).await?;
            text(language, "filter_cleared", &[])
        }
        FilterCommand::Remove(raw) => match keywords::keyword(raw) {
            Ok(word) if readers.remove_keywords(subscriber.id, Some(&word)).await? > 0 => {
                text(language, "filter_removed", &[("word", &quote(&word))])
            }
            _ => text(language, "filter_not_found", &[("word", &quote(raw))]),
        },
        FilterCommand::Add(kind, raw) => add_keyword(context, &subscriber, kind, raw, language).await?,
    };
    reply(bot, context, &message.chat, answer, None).await?;
    Ok(())
}

async fn add_keyword(
    context: &BotContext,
    subscriber: &Subscriber,
    kind: KeywordKind,
    raw: &str,
    language: Language,
) -> anyhow::Result<String> {
    let word = match keywords::keyword(raw) {
        Ok(word) => word,
        Err(KeywordError::TooLong) => {
            return Ok(text(language, "filter_too_long", &[("max", &keywords::MAX_KEYWORD_CHARS)]));
        }
        Err(_) => return Ok(text(language, "filter_usage", &[])),
    };
    let key = match (context.services.readers().add_keyword(subscriber.id, kind, &word).await?, kind) {
        (KeywordAdded::TooMany, _) => {
            return Ok(text(language, "filter_too_many", &[("max", &keywords::MAX_KEYWORDS)]));
        }
        (KeywordAdded::AlreadyThere, _) => "filter_already",
        (KeywordAdded::Added, KeywordKind::Include) => "filter_included",
        (KeywordAdded::Added, KeywordKind::Exclude) => "filter_excluded",
    };
    Ok(text(language, key, &[("word", &quote(&word))]))
}

/// What `/filter`'s arguments ask for.
#[derive(Debug, PartialEq, Eq)]
enum FilterCommand<'a> {
    Show,
    Clear,
    Remove(&'a str),
    Add(KeywordKind, &'a str),
}

impl<'a> FilterCommand<'a> {
    fn parse(args: &'a str) -> FilterCommand<'a> {
        let args = args.trim();
        let lower = args.to_lowercase();
        if args.is_empty() {
            FilterCommand::Show
        } else if matches!(lower.as_str(), "clear" | "hapus semua" | "reset") {
            FilterCommand::Clear
        } else if let Some(word) = ["remove ", "hapus "].iter().find_map(|verb| strip_prefix_ignoring_case(args, verb))
        {
            FilterCommand::Remove(word.trim())
        } else if let Some(word) = args.strip_prefix('-') {
            FilterCommand::Add(KeywordKind::Exclude, word.trim())
        } else {
            FilterCommand::Add(KeywordKind::Include, args.strip_prefix('+').unwrap_or(args).trim())
        }
    }
}

fn strip_prefix_ignoring_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

/// A delivery mode as readers type it, in English or Indonesian.
fn parse_mode(args: &str) -> Option<DeliveryMode> {
    let words: Vec<String> = args.split_whitespace().map(str::to_lowercase).collect();
    let hour = |word: Option<&String>| -> Option<u8> {
        let word = word?;
        let hour = word.split([':', '.']).next()?.parse().ok()?;
        (hour < 24).then_some(hour)
    };
    match words.first().map(String::as_str)? {
        "instant" | "langsung" | "off" | "mati" => Some(DeliveryMode::Instant),
        "hourly" | "jam" | "perjam" => Some(DeliveryMode::Hourly),
        "daily" | "harian" => Some(DeliveryMode::Daily { hour: if words.len() > 1 { hour(words.get(1))? } else { 7 } }),
        _ => None,
    }
}

fn is_off(args: &str) -> bool {
    matches!(args.to_lowercase().as_str(), "off" | "mati" | "none" | "tidak")
}

/// A tap on a preferences button. The tap is answered at once; the change and the refreshed
/// menu follow, so the reader's app never spins while a large push is going out.
pub async fn on_button(bot: Bot, query: CallbackQuery, context: Arc<BotContext>) -> anyhow::Result<()> {
    let Some(button) = query.data.as_deref().and_then(Button::decode) else {
        bot.answer_callback_query(query.id).await?;
        return Ok(());
    };
    let tapper_language = context.language_in(ChatId(query.from.id.0 as i64), Some(&query.from)).await?;
    if !may_change(&bot, button.target, &query.from).await {
        tracing::warn!(user = query.from.id.0, chat = button.target, "refused a settings tap from a non-admin");
        bot.answer_callback_query(query.id)
            .text(strip_markup(&text(tapper_language, "only_admins", &[])))
            .show_alert(true)
            .await?;
        return Ok(());
    }
    bot.answer_callback_query(query.id.clone()).await?;
    let Some(subscriber) = apply(&context, &button).await? else { return Ok(()) };
    if let Some(message) = query.regular_message() {
        refresh_menu(&bot, &context, message, &button.tap, &subscriber).await?;
    }
    Ok(())
}

/// Makes the change a tap asks for; returns the subscriber as it is now (None when unknown).
async fn apply(context: &BotContext, button: &Button) -> anyhow::Result<Option<Subscriber>> {
    let readers = context.services.readers();
    let target = recipient(ChatId(button.target));
    let Some(subscriber) = readers.subscriber(&target).await? else { return Ok(None) };
    let id = subscriber.id;
    match &button.tap {
        Tap::ToggleChannel(channel_id) => readers.toggle_channel(id, *channel_id).await?,
        Tap::FollowAll => readers.follow_all(id, true).await?,
        Tap::FollowNone => readers.follow_all(id, false).await?,
        Tap::ChannelsDone => {}
        Tap::Language(language) => readers.set_preference(id, &Preference::Language(*language)).await?,
        Tap::Mode(mode) => readers.set_preference(id, &Preference::Mode(*mode)).await?,
        Tap::Quiet(quiet) => readers.set_preference(id, &Preference::QuietHours(*quiet)).await?,
        Tap::BreakingInstant(on) => readers.set_preference(id, &Preference::BreakingInstant(*on)).await?,
        // A button left in an admin's chat must not bring back a chat the bot was removed from.
        Tap::SubscribeChat if subscriber.inactive_reason != Some(InactiveReason::Pending) => {}
        Tap::SubscribeChat => {
            let chat = NewSubscriber {
                display_name: subscriber.display_name.clone(),
                kind: subscriber.kind,
                ..NewSubscriber::private(target.clone())
            };
            readers.subscribe(&chat).await?;
            tracing::info!(%target, "a group or channel was subscribed by its admin");
        }
    }
    Ok(readers.subscriber(&target).await?)
}

/// Shows the menu the tap came from again, as it is now, in the same message.
async fn refresh_menu(
    bot: &Bot,
    context: &BotContext,
    message: &Message,
    tap: &Tap,
    subscriber: &Subscriber,
) -> anyhow::Result<()> {
    let language = subscriber.language_or(context.services.defaults().language);
    let schedule = subscriber.schedule(context.services.defaults().zone);
    let (body, keyboard) = match tap {
        Tap::ToggleChannel(_) | Tap::FollowAll | Tap::FollowNone => channel_menu(context, subscriber, language).await?,
        Tap::ChannelsDone => (status_text(context, subscriber, language).await?, None),
        Tap::Language(_) => (text(language, "language_changed", &[]), None),
        Tap::Mode(_) | Tap::Quiet(_) | Tap::BreakingInstant(_) => {
            let (body, keyboard) = menus::settings_menu(subscriber, &schedule, language);
            (body, Some(keyboard))
        }
        Tap::SubscribeChat => {
            let (menu, keyboard) = channel_menu(context, subscriber, language).await?;
            (format!("{}\n\n{menu}", text(language, "chat_subscribed", &[])), keyboard)
        }
    };
    edit(bot, context, message, body, keyboard).await?;
    Ok(())
}

async fn channel_menu(
    context: &BotContext,
    subscriber: &Subscriber,
    language: Language,
) -> anyhow::Result<(String, Option<teloxide::types::InlineKeyboardMarkup>)> {
    let choices = context.services.readers().channel_choices(subscriber).await?;
    Ok(menus::channel_menu(subscriber, &choices, language))
}

async fn status_text(context: &BotContext, subscriber: &Subscriber, language: Language) -> anyhow::Result<String> {
    let status = context.services.readers().status(subscriber, language).await?;
    Ok(menus::status_text(subscriber, &status, language))
}

/// The chat's subscription and language, when the sender may manage it and it is subscribed;
/// otherwise says why not and returns None.
async fn managed_subscription(
    bot: &Bot,
    message: &Message,
    context: &BotContext,
) -> anyhow::Result<Option<(Subscriber, Language)>> {
    let language = context.language_in(message.chat.id, message.from.as_ref()).await?;
    if !may_manage(bot, message).await? {
        reply(bot, context, &message.chat, text(language, "only_admins", &[]), None).await?;
        return Ok(None);
    }
    match context.services.readers().active_subscriber(&recipient(message.chat.id)).await? {
        Some(subscriber) => Ok(Some((subscriber, language))),
        None => {
            reply(bot, context, &message.chat, text(language, "not_subscribed", &[]), None).await?;
            Ok(None)
        }
    }
}

/// Whether `user` may change `chat`'s settings: their own private chat, or a chat they administer.
async fn may_change(bot: &Bot, chat: i64, user: &User) -> bool {
    if chat == user.id.0 as i64 {
        return true;
    }
    match bot.get_chat_member(ChatId(chat), user.id).await {
        Ok(member) => member.is_privileged(),
        Err(error) => {
            tracing::warn!(chat, user = user.id.0, %error, "cannot check whether a user administers a chat");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_arguments_are_understood_in_both_languages() {
        assert_eq!(FilterCommand::parse(""), FilterCommand::Show);
        assert_eq!(FilterCommand::parse("+Banjir"), FilterCommand::Add(KeywordKind::Include, "Banjir"));
        assert_eq!(FilterCommand::parse("gempa"), FilterCommand::Add(KeywordKind::Include, "gempa"));
        assert_eq!(FilterCommand::parse("- tol"), FilterCommand::Add(KeywordKind::Exclude, "tol"));
        assert_eq!(FilterCommand::parse("Hapus tol"), FilterCommand::Remove("tol"));
        assert_eq!(FilterCommand::parse("remove tol"), FilterCommand::Remove("tol"));
        assert_eq!(FilterCommand::parse("clear"), FilterCommand::Clear);
    }

    #[test]
    fn delivery_modes_are_understood_in_both_languages() {
        assert_eq!(parse_mode("hourly"), Some(DeliveryMode::Hourly));
        assert_eq!(parse_mode("harian 18"), Some(DeliveryMode::Daily { hour: 18 }));
        assert_eq!(parse_mode("daily 07:00"), Some(DeliveryMode::Daily { hour: 7 }));
        assert_eq!(parse_mode("daily"), Some(DeliveryMode::Daily { hour: 7 }));
        assert_eq!(parse_mode("Langsung"), Some(DeliveryMode::Instant));
        assert_eq!(parse_mode("daily 25"), None);
        assert_eq!(parse_mode("weekly"), None);
        assert_eq!(parse_mode(""), None);
    }
}
