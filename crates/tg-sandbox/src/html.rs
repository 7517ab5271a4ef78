//! Telegram's HTML formatting, parsed the way the Bot API server (tdlib) parses it: the same
//! supported tags, the same error texts ("Unsupported start tag ...", "Can't find end tag ..."),
//! and entity offsets in UTF-16 code units of the text a reader sees.

pub use crate::entity::{FormattedText, MessageEntity, trim, utf16_len};
use crate::entity::{is_space, sort_entities};

/// Tags Telegram accepts.
const SUPPORTED_TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

struct OpenTag {
    name: String,
    argument: Option<String>,
    utf16_start: usize,
    byte_start: usize,
}

/// Parses Telegram HTML. On failure returns the detail that follows
/// "Bad Request: can't parse entities: " in Telegram's answer.
///
/// With `strict_ampersand`, an `&` that does not start `&lt;`, `&gt;`, `&amp;`, `&quot;` or a
/// numeric reference is an error (Telegram passes it through literally). A bare `>` is fine, as on
/// Telegram. The text is not trimmed here; see [`trim`].
pub fn parse_html(source: &str, strict_ampersand: bool) -> Result<FormattedText, String> {
    let bytes = source.as_bytes();
    let mut out = FormattedText { text: String::with_capacity(source.len()), entities: Vec::new() };
    let mut utf16 = 0usize;
    let mut stack: Vec<OpenTag> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'&' => match decode_entity(source, i) {
                Some((ch, next)) => {
                    out.text.push(ch);
                    utf16 += ch.len_utf16();
                    i = next;
                }
                None if strict_ampersand => {
                    return Err(format!("Character '&' at byte offset {i} must be escaped as \"&amp;\""));
                }
                None => {
                    out.text.push('&');
                    utf16 += 1;
                    i += 1;
                }
            },
            b'<' if bytes.get(i + 1) == Some(&b'/') => {
                i = close_tag(source, i, utf16, &mut stack, &mut out)?;
            }
            b'<' => {
                let (tag, next) = open_tag(source, i)?;
                stack.push(OpenTag { utf16_start: utf16, byte_start: out.text.len(), ..tag });
                i = next;
            }
            _ => {
                let end = bytes[i..].iter().position(|b| *b == b'&' || *b == b'<').map_or(bytes.len(), |p| i + p);
                out.text.push_str(&source[i..end]);
                utf16 += utf16_len(&source[i..end]);
                i = end;
            }
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("Can't find end tag corresponding to start tag \"{}\"", open.name));
    }
    sort_entities(&mut out.entities);
    Ok(out)
}

/// Parses `<tag attr="value">` at `begin`; returns the tag and the index after `>`.
fn open_tag(source: &str, begin: usize) -> Result<(OpenTag, usize), String> {
    let bytes = source.as_bytes();
    let mut i = begin + 1;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' {
        i += 1;
    }
    if i == bytes.len() {
        return Err(format!("Unclosed start tag at byte offset {begin}"));
    }
    let name = source[begin + 1..i].to_ascii_lowercase();
    if !SUPPORTED_TAGS.contains(&name.as_str()) {
        return Err(format!("Unsupported start tag \"{name}\" at byte offset {begin}"));
    }
    let mut argument = None;
    loop {
        while i < bytes.len() && is_space(bytes[i]) {
            i += 1;
        }
        match bytes.get(i) {
            None => return Err(format!("Unclosed start tag at byte offset {begin}")),
            Some(b'>') => break,
            Some(_) => {}
        }
        let (attribute, value, next) = attribute(source, i, &name, begin)?;
        i = next;
        let wanted = match (name.as_str(), attribute.as_str()) {
            ("a", "href") | ("tg-emoji", "emoji-id") | ("blockquote", "expandable") => true,
            ("code", "class") => value.starts_with("language-"),
            ("span", "class") => value.starts_with("tg-"),
            _ => false,
        };
        if wanted {
            argument = Some(value);
        }
    }
    if name == "span" && argument.as_deref() != Some("tg-spoiler") {
        return Err(format!("Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"));
    }
    let tag = OpenTag { name, argument, utf16_start: 0, byte_start: 0 };
    Ok((tag, i + 1))
}

/// Parses one `name="value"`, `name=token` or bare `expandable`; returns name, value, next index.
fn attribute(source: &str, start: usize, tag: &str, begin: usize) -> Result<(String, String, usize), String> {
    let bytes = source.as_bytes();
    let mut i = start;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'=' && bytes[i] != b'>' {
        i += 1;
    }
    let name = source[start..i].to_ascii_lowercase();
    if name.is_empty() {
        return Err(format!("Empty attribute name in the tag \"{tag}\" at byte offset {begin}"));
    }
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    if bytes.get(i) != Some(&b'=') {
        if tag == "blockquote" && name == "expandable" {
            return Ok((name, String::new(), i));
        }
        return Err(format!(
            "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at byte \
             offset {begin}"
        ));
    }
    i += 1;
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    let mut value = String::new();
    match bytes.get(i) {
        None => {
            return Err(format!("Unclosed start tag \"{tag}\" at byte offset {begin}"));
        }
        Some(&quote @ (b'"' | b'\'')) => {
            i += 1;
            let end = bytes[i..]
                .iter()
                .position(|b| *b == quote)
                .map(|p| i + p)
                .ok_or_else(|| format!("Unclosed start tag at byte offset {begin}"))?;
            value = decode_attribute(&source[i..end]);
            i = end + 1;
        }
        Some(_) => {
            let token_start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || b".-".contains(&bytes[i])) {
                i += 1;
            }
            if i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' {
                return Err(format!("Unexpected end of name token at byte offset {token_start}"));
            }
            value.push_str(&source[token_start..i].to_ascii_lowercase());
        }
    }
    Ok((name, value, i))
}

/// Parses `</tag>` at `begin`, emits the entity it closes; returns the index after `>`.
fn close_tag(
    source: &str,
    begin: usize,
    utf16: usize,
    stack: &mut Vec<OpenTag>,
    out: &mut FormattedText,
) -> Result<usize, String> {
    let bytes = source.as_bytes();
    let Some(open) = stack.pop() else {
        return Err(format!("Unexpected end tag at byte offset {begin}"));
    };
    let mut i = begin + 2;
    while i < bytes.len() && !is_space(bytes[i]) && bytes[i] != b'>' {
        i += 1;
    }
    let end_name = &source[begin + 2..i];
    while i < bytes.len() && is_space(bytes[i]) {
        i += 1;
    }
    if bytes.get(i) != Some(&b'>') {
        return Err(format!("Unclosed end tag at byte offset {begin}"));
    }
    if !end_name.is_empty() && !end_name.eq_ignore_ascii_case(&open.name) {
        return Err(format!(
            "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{end_name}>\"",
            open.name
        ));
    }
    let length = utf16 - open.utf16_start;
    if length > 0 {
        emit(open, length, stack, out)?;
    }
    Ok(i + 1)
}

/// Turns a closed tag into its entity.
fn emit(open: OpenTag, length: usize, stack: &mut [OpenTag], out: &mut FormattedText) -> Result<(), String> {
    let offset = open.utf16_start;
    let kind = match open.name.as_str() {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "span" | "tg-spoiler" => "spoiler",
        "blockquote" if open.argument.is_some() => "expandable_blockquote",
        "blockquote" => "blockquote",
        "pre" => "pre",
        "code" => {
            // `<pre><code class="language-x">` is one pre entity with a language.
            if let Some(parent) = stack.last_mut().filter(|p| p.name == "pre") {
                if let Some(class) = open.argument {
                    parent.argument = Some(class["language-".len()..].to_owned());
                }
                return Ok(());
            }
            "code"
        }
        "a" => {
            let href = match open.argument {
                Some(href) if !href.is_empty() => href,
                _ => out.text[open.byte_start..].to_owned(),
            };
            // Telegram drops a link it cannot parse rather than failing the message.
            if let Some(url) = normalize_url(&href) {
                let mut entity = MessageEntity::new("text_link", offset, length);
                entity.url = Some(url);
                out.entities.push(entity);
            }
            return Ok(());
        }
        "tg-emoji" => {
            let id = open.argument.filter(|id| id.parse::<i64>().is_ok_and(|n| n != 0));
            let id = id.ok_or("Invalid custom emoji identifier specified")?;
            let mut entity = MessageEntity::new("custom_emoji", offset, length);
            entity.custom_emoji_id = Some(id);
            out.entities.push(entity);
            return Ok(());
        }
        _ => return Ok(()),
    };
    let mut entity = MessageEntity::new(kind, offset, length);
    if kind == "pre" {
        entity.language = open.argument;
    }
    out.entities.push(entity);
    Ok(())
}

/// Decodes `&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#NN;` and `&#xHH;` at `at`; returns the character
/// and the index after the reference. The `;` is optional, as in tdlib.
fn decode_entity(source: &str, at: usize) -> Option<(char, usize)> {
    let bytes = source.as_bytes();
    let mut end = at + 1;
    let ch = if bytes.get(end) == Some(&b'#') {
        end += 1;
        let hex = matches!(bytes.get(end), Some(b'x' | b'X'));
        if hex {
            end += 1;
        }
        let digits_start = end;
        while end < bytes.len() && (bytes[end].is_ascii_hexdigit() && hex || bytes[end].is_ascii_digit()) {
            end += 1;
        }
        let code = u32::from_str_radix(&source[digits_start..end], if hex { 16 } else { 10 }).ok()?;
        char::from_u32(code).filter(|c| *c != '\0')?
    } else {
        while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
            end += 1;
        }
        match &source[at + 1..end] {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            _ => return None,
        }
    };
    if bytes.get(end) == Some(&b';') {
        end += 1;
    }
    Some((ch, end))
}

fn decode_attribute(raw: &str) -> String {
    let mut value = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if let Some((ch, next)) = raw[i..].starts_with('&').then(|| decode_entity(raw, i)).flatten() {
            value.push(ch);
            i = next;
        } else {
            let ch = raw[i..].chars().next().unwrap_or('\0');
            value.push(ch);
            i += ch.len_utf8();
        }
    }
    value
}

/// A URL the way Telegram stores a link: a scheme is added when missing; anything with spaces
/// or without a host is not a link.
fn normalize_url(href: &str) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.chars().any(char::is_whitespace) {
        return None;
    }
    let (scheme, rest) = match href.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_owned(), href),
    };
    let scheme_ok = scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if !scheme_ok || host.is_empty() {
        return None;
    }
    let slash = if rest.len() == host.len() { "/" } else { "" };
    Some(format!("{scheme}://{rest}{slash}"))
}
