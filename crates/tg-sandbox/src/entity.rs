//! Entities and the text they annotate: offsets and limits in UTF-16 code units, and the
//! trimming Telegram applies to every text.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A formatting entity as the Bot API returns it (`MessageEntity`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageEntity {
    /// `bold`, `italic`, `text_link`, `bot_command`, ...
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// Start, in UTF-16 code units.
    pub offset: usize,
    /// Length, in UTF-16 code units.
    pub length: usize,
    /// For `text_link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `pre`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// For `custom_emoji`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_emoji_id: Option<String>,
    /// For `text_mention`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<serde_json::Value>,
}

impl MessageEntity {
    /// An entity with no extra fields.
    pub fn new(kind: &'static str, offset: usize, length: usize) -> Self {
        MessageEntity {
            kind: Cow::Borrowed(kind),
            offset,
            length,
            url: None,
            language: None,
            custom_emoji_id: None,
            user: None,
        }
    }
}

/// Text as a reader sees it, with its entities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormattedText {
    /// The plain text: tags removed, HTML entities decoded.
    pub text: String,
    /// Entities, sorted by offset (outer before inner).
    pub entities: Vec<MessageEntity>,
}

pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// Length in UTF-16 code units, the unit of Telegram's limits and entity offsets.
pub fn utf16_len(text: &str) -> usize {
    // Every char is one unit except those outside the BMP (4-byte UTF-8), which are two.
    text.bytes().map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0)).sum()
}

/// Strips the leading and trailing whitespace Telegram strips, moving entities to match.
pub fn trim(formatted: &mut FormattedText) {
    let text = &formatted.text;
    let kept = text.trim_matches(|c: char| c.is_ascii() && is_space(c as u8));
    if kept.len() == text.len() {
        return;
    }
    // Trimmed characters are ASCII, so byte counts equal UTF-16 counts.
    let left = kept.as_ptr() as usize - text.as_ptr() as usize;
    let end = left + utf16_len(kept);
    formatted.entities.retain_mut(|e| {
        let start = e.offset.clamp(left, end);
        let stop = (e.offset + e.length).clamp(left, end);
        e.offset = start - left;
        e.length = stop - start;
        e.length > 0
    });
    formatted.text = kept.to_owned();
}

/// Telegram's order: by offset, then longer (outer) entities first.
pub(crate) fn sort_entities(entities: &mut [MessageEntity]) {
    entities.sort_by(|a, b| a.offset.cmp(&b.offset).then(b.length.cmp(&a.length)));
}
