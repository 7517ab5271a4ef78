//! Checks on what a message says: formatting by `parse_mode`, Telegram's length limits (in UTF-16
//! code units after parsing), and inline keyboards.

use std::borrow::Cow;

use serde_json::Value;

use crate::error::{ApiError, msg};
use crate::html::{self, FormattedText, MessageEntity};
use crate::params::Params;

/// Which limit a text falls under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    /// A new message's text.
    Text,
    /// An edited message's text (Telegram words its error differently).
    EditedText,
    /// A media caption; may be empty.
    Caption,
}

/// Limits the formatter applies.
pub(crate) struct TextRules {
    pub max_text: usize,
    pub max_caption: usize,
    pub strict_html: bool,
}

/// Parses `source` per `parse_mode` (or explicit `entities`) and applies Telegram's checks.
fn format(
    rules: &TextRules,
    source: &str,
    parse_mode: Option<&str>,
    entities: Option<Cow<'_, Value>>,
    field: Field,
) -> Result<FormattedText, ApiError> {
    let mut formatted = match parse_mode.filter(|m| !m.is_empty()) {
        Some(mode) if mode.eq_ignore_ascii_case("html") => {
            html::parse_html(source, rules.strict_html).map_err(|detail| ApiError::cant_parse_entities(&detail))?
        }
        Some(mode) if mode.eq_ignore_ascii_case("markdownv2") || mode.eq_ignore_ascii_case("markdown") => {
            // Markdown is accepted but not validated; the reader sees it without escapes.
            FormattedText { text: unescape_markdown(source), entities: Vec::new() }
        }
        Some(_) => return Err(ApiError::bad_request("Bad Request: unsupported parse_mode")),
        None => FormattedText { text: source.to_owned(), entities: explicit_entities(entities)? },
    };
    html::trim(&mut formatted);
    let length = html::utf16_len(&formatted.text);
    match field {
        Field::Text | Field::EditedText if formatted.text.is_empty() => Err(ApiError::bad_request(msg::TEXT_EMPTY)),
        Field::Text if length > rules.max_text => Err(ApiError::bad_request(msg::TEXT_TOO_LONG)),
        Field::EditedText if length > rules.max_text => Err(ApiError::bad_request(msg::EDITED_TOO_LONG)),
        Field::Caption if length > rules.max_caption => Err(ApiError::bad_request(msg::CAPTION_TOO_LONG)),
        _ => Ok(formatted),
    }
}

/// A text parameter as the bot gave it and as a reader will see it.
pub(crate) struct GivenText {
    /// The source, absent for an omitted caption.
    pub source: Option<String>,
    pub parse_mode: Option<String>,
    pub formatted: FormattedText,
}

/// Reads `text` or `caption` (per `field`) with `parse_mode` and the matching entities
/// parameter, and formats it. An omitted caption is an empty one; an omitted text is empty text.
pub(crate) fn given_text(rules: &TextRules, p: &Params, field: Field) -> Result<GivenText, ApiError> {
    let (key, entities_key) = match field {
        Field::Caption => ("caption", "caption_entities"),
        Field::Text | Field::EditedText => ("text", "entities"),
    };
    let parse_mode = p.str("parse_mode").map(Cow::into_owned);
    let source = match p.str(key) {
        Some(source) => source.into_owned(),
        None if field == Field::Caption => {
            return Ok(GivenText { source: None, parse_mode, formatted: FormattedText::default() });
        }
        None => String::new(),
    };
    let entities = p.json(entities_key).map_err(|()| ApiError::bad_request(msg::BAD_ENTITIES_JSON))?;
    let formatted = format(rules, &source, parse_mode.as_deref(), entities, field)?;
    Ok(GivenText { source: Some(source), parse_mode, formatted })
}

fn explicit_entities(entities: Option<Cow<'_, Value>>) -> Result<Vec<MessageEntity>, ApiError> {
    let Some(entities) = entities else {
        return Ok(Vec::new());
    };
    let mut entities: Vec<MessageEntity> =
        serde_json::from_value(entities.into_owned()).map_err(|_| ApiError::bad_request(msg::BAD_ENTITIES_JSON))?;
    crate::entity::sort_entities(&mut entities);
    Ok(entities)
}

fn unescape_markdown(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// `reply_markup`: what the bot sent, and the inline keyboard a message shows (other keyboard
/// kinds act on the reader's client and are not part of the message).
pub(crate) struct Markup {
    pub sent: Option<Value>,
    pub inline: Option<Value>,
}

/// Reads and checks `reply_markup`.
pub(crate) fn reply_markup(params: &Params) -> Result<Markup, ApiError> {
    let sent = params.json("reply_markup").map_err(|()| ApiError::bad_request(msg::BAD_MARKUP))?.map(Cow::into_owned);
    let inline = match &sent {
        Some(markup) if markup.get("inline_keyboard").is_some() => {
            check_inline_keyboard(markup)?;
            // An empty keyboard is no keyboard, as far as a message shows.
            let empty = markup["inline_keyboard"].as_array().is_some_and(Vec::is_empty);
            (!empty).then(|| markup.clone())
        }
        Some(markup) if !markup.is_object() => return Err(ApiError::bad_request(msg::BAD_MARKUP)),
        _ => None,
    };
    Ok(Markup { sent, inline })
}

/// Button fields that make a button do something; a button needs exactly one.
const BUTTON_ACTIONS: &[&str] = &[
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

fn check_inline_keyboard(markup: &Value) -> Result<(), ApiError> {
    let bad = || ApiError::bad_request(msg::BAD_MARKUP);
    let rows = markup["inline_keyboard"].as_array().ok_or_else(bad)?;
    for row in rows {
        for button in row.as_array().ok_or_else(bad)? {
            let button = button.as_object().ok_or_else(bad)?;
            if !button.get("text").is_some_and(Value::is_string) {
                return Err(ApiError::bad_request(
                    "Bad Request: can't parse inline keyboard button: Field \"text\" must be of type String",
                ));
            }
            if !BUTTON_ACTIONS.iter().any(|action| button.contains_key(*action)) {
                return Err(ApiError::bad_request(msg::TEXT_BUTTONS));
            }
            if let Some(data) = button.get("callback_data") {
                let len = data.as_str().map_or(0, str::len);
                if !(1..=64).contains(&len) {
                    return Err(ApiError::bad_request(msg::BUTTON_DATA_INVALID));
                }
            }
            if let Some(url) = button.get("url") {
                let ok = url.as_str().is_some_and(|u| !u.is_empty() && !u.contains(char::is_whitespace));
                if !ok {
                    return Err(ApiError::bad_request(msg::BUTTON_URL_INVALID));
                }
            }
        }
    }
    Ok(())
}

/// Whether an inline keyboard has a button with this callback data.
pub(crate) fn has_callback_button(markup: Option<&Value>, data: &str) -> bool {
    let rows = markup.and_then(|m| m["inline_keyboard"].as_array());
    rows.into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .any(|button| button["callback_data"].as_str() == Some(data))
}
