//! Long answers cut to their first items before they are parsed: a feed that suddenly lists
//! 100,000 items costs what one of [`super::parse`]'s few hundred does, because no parser ever
//! holds the rest.

use std::{borrow::Cow, fmt, marker::PhantomData};

use quick_xml::{Reader, events::Event};
use serde::{
    Deserialize, Deserializer,
    de::{IgnoredAny, MapAccess, SeqAccess, Visitor},
};
use serde_json::{Map, Value};

/// `body` (an RSS, Atom or JSON feed) with at most its first `MAX` items, and as it is when it
/// has no more than that, or when it cannot be read before its `MAX`th item ends (the parser
/// then says why).
pub fn first_items<const MAX: usize>(body: &[u8]) -> Cow<'_, [u8]> {
    let json = body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b == b'{');
    let cut = if json { first_json_items::<MAX>(body) } else { first_xml_items(body, MAX) };
    cut.map_or(Cow::Borrowed(body), Cow::Owned)
}

/// An XML feed up to the end of its `max`th `<item>` or `<entry>`, with the elements still open
/// there closed; none when it has no item after that one.
fn first_xml_items(body: &[u8], max: usize) -> Option<Vec<u8>> {
    let is_item = |name: &[u8]| name == b"item" || name == b"entry";
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = false;
    let (mut open, mut items): (Vec<Vec<u8>>, usize) = (Vec::new(), 0);
    let mut cut: Option<(usize, Vec<Vec<u8>>)> = None;
    loop {
        let event = reader.read_event();
        let ended_item = match &event {
            Ok(Event::Start(start)) if cut.is_some() && is_item(start.local_name().as_ref()) => break,
            Ok(Event::Empty(empty)) if cut.is_some() && is_item(empty.local_name().as_ref()) => break,
            Ok(Event::Start(start)) => {
                open.push(start.name().as_ref().to_vec());
                false
            }
            Ok(Event::Empty(empty)) => is_item(empty.local_name().as_ref()),
            Ok(Event::End(end)) => {
                open.pop();
                is_item(end.local_name().as_ref())
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => false,
        };
        if ended_item && cut.is_none() {
            items += 1;
            if items == max {
                cut = Some((usize::try_from(reader.buffer_position()).ok()?, open.clone()));
            }
        }
    }
    let (end, still_open) = cut?;
    let mut kept = body[..end].to_vec();
    for name in still_open.iter().rev() {
        kept.extend_from_slice(b"</");
        kept.extend_from_slice(name);
        kept.push(b'>');
    }
    Some(kept)
}

/// A JSON Feed with only its first `MAX` items, its other members as they are; none when it has
/// no more than that or is no JSON object.
fn first_json_items<const MAX: usize>(body: &[u8]) -> Option<Vec<u8>> {
    let feed: JsonFeedHead<MAX> = serde_json::from_slice(body).ok()?;
    feed.more.then(|| serde_json::to_vec(&feed.members).ok()).flatten()
}

/// The first `MAX` elements of a JSON array, the rest skipped without being kept, and whether
/// there were more.
#[derive(Debug)]
pub struct FirstN<T, const MAX: usize> {
    pub items: Vec<T>,
    pub more: bool,
}

impl<'de, T: Deserialize<'de>, const MAX: usize> Deserialize<'de> for FirstN<T, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FirstNVisitor<T, const MAX: usize>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const MAX: usize> Visitor<'de> for FirstNVisitor<T, MAX> {
            type Value = FirstN<T, MAX>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut sequence: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while items.len() < MAX {
                    match sequence.next_element()? {
                        Some(item) => items.push(item),
                        None => return Ok(FirstN { items, more: false }),
                    }
                }
                let mut more = false;
                while sequence.next_element::<IgnoredAny>()?.is_some() {
                    more = true;
                }
                Ok(FirstN { items, more })
            }
        }
        deserializer.deserialize_seq(FirstNVisitor(PhantomData))
    }
}

/// A JSON Feed's members, its `items` cut to the first `MAX`.
struct JsonFeedHead<const MAX: usize> {
    members: Map<String, Value>,
    more: bool,
}

impl<'de, const MAX: usize> Deserialize<'de> for JsonFeedHead<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HeadVisitor<const MAX: usize>;
        impl<'de, const MAX: usize> Visitor<'de> for HeadVisitor<MAX> {
            type Value = JsonFeedHead<MAX>;

            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("a JSON Feed object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut members, mut more) = (Map::new(), false);
                while let Some(key) = map.next_key::<String>()? {
                    let value = if key == "items" {
                        let first: FirstN<Value, MAX> = map.next_value()?;
                        more |= first.more;
                        Value::Array(first.items)
                    } else {
                        map.next_value()?
                    };
                    members.insert(key, value);
                }
                Ok(JsonFeedHead { members, more })
            }
        }
        deserializer.deserialize_map(HeadVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss(items: usize) -> String {
        let items: String = (0..items).map(|n| format!("<item><title>T{n}</title><guid>g{n}</guid></item>")).collect();
        format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>F</title>{items}</channel></rss>")
    }

    fn titles(body: &[u8]) -> Vec<String> {
        let feed = feed_rs::parser::parse(body).expect("still a feed");
        feed.entries.into_iter().map(|e| e.title.map(|t| t.content).unwrap_or_default()).collect()
    }

    #[test]
    fn a_long_rss_feed_keeps_its_first_items_and_stays_a_feed() {
        let long = rss(50);
        let cut = first_items::<3>(long.as_bytes());
        assert!(matches!(cut, Cow::Owned(_)));
        assert_eq!(titles(&cut), ["T0", "T1", "T2"]);
    }

    #[test]
    fn a_feed_with_no_more_items_than_the_cap_is_left_as_it_is() {
        for items in [0, 2, 3] {
            let feed = rss(items);
            assert!(matches!(first_items::<3>(feed.as_bytes()), Cow::Borrowed(_)), "{items} items");
        }
    }

    #[test]
    fn a_long_atom_feed_with_prefixed_and_empty_entries_is_cut_too() {
        let entries: String = (0..10)
            .map(|n| format!("<a:entry><a:title>E{n}</a:title><a:id>urn:{n}</a:id></a:entry>"))
            .chain(std::iter::once("<a:entry/>".to_owned()))
            .collect();
        let atom = format!("<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\"><a:title>A</a:title>{entries}</a:feed>");
        assert_eq!(titles(&first_items::<2>(atom.as_bytes())), ["E0", "E1"]);
    }

    #[test]
    fn a_long_json_feed_keeps_its_other_members() {
        let items: Vec<Value> =
            (0..20).map(|n| serde_json::json!({"id": format!("j{n}"), "title": format!("J{n}")})).collect();
        let feed = serde_json::json!({"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": items});
        let body = serde_json::to_vec(&feed).unwrap();
        let cut = first_items::<4>(&body);
        let value: Value = serde_json::from_slice(&cut).unwrap();
        assert_eq!(value["title"], "F");
        assert_eq!(titles(&cut), ["J0", "J1", "J2", "J3"]);
    }

    #[test]
    fn what_cannot_be_read_is_left_for_the_parser_to_refuse() {
        for body in [&b"<rss><channel><item></channel"[..], b"{\"items\": [1, 2", b"not a feed", &[0xff, 0x00]] {
            assert!(matches!(first_items::<1>(body), Cow::Borrowed(_)), "{body:?}");
        }
    }

    #[test]
    fn an_array_is_read_up_to_its_cap_and_the_rest_skipped() {
        let first: FirstN<u32, 2> = serde_json::from_str("[1, 2, {\"a\": [3]}, \"x\"]").unwrap();
        assert_eq!((first.items, first.more), (vec![1, 2], true));
        let all: FirstN<u32, 5> = serde_json::from_str("[1, 2]").unwrap();
        assert_eq!((all.items, all.more), (vec![1, 2], false));
    }
}
