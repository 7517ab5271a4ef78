//! The texts and keyboards of the preferences menus, in the reader's language. Every word comes
//! from the locale files; names that readers or operators typed are escaped.

use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

use super::buttons::{Button, Tap};
use crate::{
    domain::{DeliveryMode, KeywordFilter, Language, QuietHours, Schedule, Subscriber},
    locale::text,
    render::telegram_html::escape,
    services::readers::{ChannelChoices, ReaderStatus},
    telegram::chat_id_of,
};

/// The quiet hours offered as a button; others are set with /quiet.
const SUGGESTED_QUIET_HOURS: (u16, u16) = (22 * 60, 6 * 60);
/// The hour offered for a daily digest when the reader has not picked one.
const SUGGESTED_DAILY_HOUR: u8 = 7;

/// The channel picker: "all news", then each channel, ticked when followed.
pub fn channel_menu(
    subscriber: &Subscriber,
    choices: &ChannelChoices,
    language: Language,
) -> (String, Option<InlineKeyboardMarkup>) {
    if choices.channels.is_empty() {
        return (text(language, "channels_none_yet", &[]), None);
    }
    let button = button_for(subscriber);
    let follows = |id: i64| subscriber.all_channels || choices.followed.contains(&id);
    let mut rows = vec![vec![button(
        format!("{} {}", tick(subscriber.all_channels), text(language, "channels_all", &[])),
        if subscriber.all_channels { Tap::FollowNone } else { Tap::FollowAll },
    )]];
    let channel_buttons: Vec<_> = choices
        .channels
        .iter()
        .map(|channel| {
            button(
                format!("{} {}", tick(follows(channel.id)), channel.name_in(language)),
                Tap::ToggleChannel(channel.id),
            )
        })
        .collect();
    rows.extend(channel_buttons.chunks(2).map(<[_]>::to_vec));
    rows.push(vec![button(text(language, "button_done", &[]), Tap::ChannelsDone)]);
    (text(language, "channels_intro", &[]), Some(InlineKeyboardMarkup::new(rows)))
}

/// The delivery settings: instant or a digest, quiet hours, breaking news.
pub fn settings_menu(
    subscriber: &Subscriber,
    schedule: &Schedule,
    language: Language,
) -> (String, InlineKeyboardMarkup) {
    let button = button_for(subscriber);
    let daily_hour = match schedule.mode {
        DeliveryMode::Daily { hour } => hour,
        _ => SUGGESTED_DAILY_HOUR,
    };
    let modes = [DeliveryMode::Instant, DeliveryMode::Hourly, DeliveryMode::Daily { hour: daily_hour }];
    let mode_row = modes
        .into_iter()
        .map(|mode| {
            button(format!("{} {}", tick(schedule.mode == mode), mode_button(&mode, language)), Tap::Mode(mode))
        })
        .collect();
    let suggested = QuietHours::new(SUGGESTED_QUIET_HOURS.0, SUGGESTED_QUIET_HOURS.1).expect("a valid range");
    let quiet_on = schedule.quiet.unwrap_or(suggested);
    let quiet_row = vec![
        button(format!("{} 🌙 {quiet_on}", tick(schedule.quiet.is_some())), Tap::Quiet(Some(quiet_on))),
        button(format!("{} {}", tick(schedule.quiet.is_none()), text(language, "quiet_off", &[])), Tap::Quiet(None)),
    ];
    let breaking_row = vec![button(
        format!("{} {}", tick(schedule.breaking_instant), text(language, "breaking_instant_button", &[])),
        Tap::BreakingInstant(!schedule.breaking_instant),
    )];
    let body = format!("{}\n\n{}", text(language, "settings_intro", &[]), schedule_lines(schedule, language));
    (body, InlineKeyboardMarkup::new([mode_row, quiet_row, breaking_row]))
}

/// The language picker.
pub fn language_menu(target: i64, language: Language) -> (String, InlineKeyboardMarkup) {
    let row = Language::ALL
        .iter()
        .map(|&option| {
            let label = format!("{} {}", tick(option == language), text(option, "language_name", &[]));
            InlineKeyboardButton::callback(label, Button::new(target, Tap::Language(option)).encode())
        })
        .collect::<Vec<_>>();
    (text(language, "language_intro", &[]), InlineKeyboardMarkup::new([row]))
}

/// Everything about a subscription, for /status.
pub fn status_text(subscriber: &Subscriber, status: &ReaderStatus, language: Language) -> String {
    let ReaderStatus { followed_names, schedule, keywords } = status;
    let state_key = if subscriber.active { "status_active" } else { "status_inactive" };
    let channels = if subscriber.all_channels {
        text(language, "channels_all", &[])
    } else if followed_names.is_empty() {
        text(language, "status_no_channels", &[])
    } else {
        escape(&followed_names.join(", "))
    };
    [
        text(language, "status_header", &[]),
        text(language, state_key, &[]),
        text(language, "status_channels", &[("channels", &channels)]),
        schedule_lines(schedule, language),
        keyword_lines(keywords, language),
        text(language, "status_language", &[("language", &text(language, "language_name", &[]))]),
    ]
    .join("\n")
}

/// Delivery mode, quiet hours and breaking news, one line each.
pub fn schedule_lines(schedule: &Schedule, language: Language) -> String {
    let quiet = match &schedule.quiet {
        Some(quiet) => text(language, "status_quiet", &[("hours", quiet), ("zone", &schedule.zone.name())]),
        None => text(language, "status_quiet_off", &[]),
    };
    let breaking_key = if schedule.breaking_instant { "status_breaking_instant" } else { "status_breaking_digest" };
    [
        text(language, "status_mode", &[("mode", &mode_label(&schedule.mode, language))]),
        quiet,
        text(language, breaking_key, &[]),
    ]
    .join("\n")
}

/// The reader's keywords, or that there are none.
pub fn keyword_lines(keywords: &KeywordFilter, language: Language) -> String {
    if keywords.is_empty() {
        return text(language, "status_keywords_none", &[]);
    }
    let mut lines = Vec::new();
    for (words, key) in
        [(keywords.include_words(), "status_keywords_include"), (keywords.exclude_words(), "status_keywords_exclude")]
    {
        if !words.is_empty() {
            lines.push(text(language, key, &[("words", &escape(&words.join(", ")))]));
        }
    }
    lines.join("\n")
}

pub fn mode_label(mode: &DeliveryMode, language: Language) -> String {
    match mode {
        DeliveryMode::Instant => text(language, "mode_instant", &[]),
        DeliveryMode::Hourly => text(language, "mode_hourly", &[]),
        DeliveryMode::Daily { hour } => text(language, "mode_daily", &[("hour", &format!("{hour:02}:00"))]),
    }
}

/// A delivery mode, short enough for one of three buttons in a row.
fn mode_button(mode: &DeliveryMode, language: Language) -> String {
    match mode {
        DeliveryMode::Instant => text(language, "button_mode_instant", &[]),
        DeliveryMode::Hourly => text(language, "button_mode_hourly", &[]),
        DeliveryMode::Daily { hour } => text(language, "button_mode_daily", &[("hour", &format!("{hour:02}:00"))]),
    }
}

/// A button that acts on `subscriber`'s chat.
fn button_for(subscriber: &Subscriber) -> impl Fn(String, Tap) -> InlineKeyboardButton + '_ {
    let target = chat_id_of(&subscriber.recipient).map_or(0, |chat| chat.0);
    move |label: String, tap: Tap| InlineKeyboardButton::callback(label, Button::new(target, tap).encode())
}

fn tick(on: bool) -> &'static str {
    if on { "✅" } else { "⬜" }
}
