//! Shortening a message's free text until the whole message fits its platform's limit.

use minijinja::{Template, Value};

use super::{Markup, RenderError, render};
use crate::text::cut_at_word;

/// Renders `template`, shortening its one free-text value until the message fits `limit`.
pub(super) fn fit(
    markup: &dyn Markup,
    template: &Template<'_, '_>,
    free_text: &str,
    limit: usize,
    make_context: impl Fn(&str) -> Value,
) -> Result<String, RenderError> {
    let mut text = free_text.to_owned();
    loop {
        let rendered = render(template, make_context(&text))?;
        let overflow = markup.visible_len(&rendered).saturating_sub(limit);
        if overflow == 0 {
            return Ok(rendered);
        }
        // Characters may count double in UTF-16, so the budget shrinks by the overflow and
        // a margin; a message whose fixed part alone is too long loses the free text.
        let budget = text.chars().count().saturating_sub(overflow + 8);
        if budget == 0 || text.is_empty() {
            return Ok(truncate_visible(markup, &rendered, limit));
        }
        text = cut_at_word(&text, budget);
    }
}

/// The largest count in `0..=most` for which `fits` holds, given that it holds for every count
/// below one for which it holds; 0 when it holds for none.
pub(super) fn most_that_fit(
    most: usize,
    fits: impl Fn(usize) -> Result<bool, RenderError>,
) -> Result<usize, RenderError> {
    let (mut low, mut high) = (0, most);
    while low < high {
        let middle = low + (high - low).div_ceil(2);
        if fits(middle)? {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    Ok(low)
}

/// `rendered` when it fits `limit`, else [`truncate_visible`].
pub(super) fn within_limit(markup: &dyn Markup, rendered: String, limit: usize) -> String {
    if markup.visible_len(&rendered) <= limit { rendered } else { truncate_visible(markup, &rendered, limit) }
}

/// Last resort for a message whose fixed parts alone overflow: plain escaped text, cut to fit.
fn truncate_visible(markup: &dyn Markup, rendered: &str, limit: usize) -> String {
    let mut plain = String::new();
    for c in markup.plain_text(rendered).chars() {
        if plain.encode_utf16().count() + c.len_utf16() > limit - 1 {
            break;
        }
        plain.push(c);
    }
    markup.escape(&cut_at_word(&plain, plain.chars().count()))
}
