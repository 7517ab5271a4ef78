//! OPML, the format feed readers exchange subscription lists in.

use quick_xml::{Reader, escape::escape, events::Event};

/// One feed of an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    pub title: String,
    pub xml_url: String,
}

/// An OPML file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("not a readable OPML file: {0}")]
pub struct OpmlError(String);

/// Every `<outline>` with an `xmlUrl`, at any depth (folders are flattened).
pub fn parse(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let mut reader = Reader::from_str(text);
    let mut feeds = Vec::new();
    loop {
        match reader.read_event().map_err(|e| OpmlError(e.to_string()))? {
            Event::Start(element) | Event::Empty(element) if element.local_name().as_ref() == b"outline" => {
                let mut title = None;
                let mut xml_url = None;
                for attribute in element.attributes().flatten() {
                    let value = attribute
                        .decoded_and_normalized_value(quick_xml::XmlVersion::default(), reader.decoder())
                        .map_err(|e| OpmlError(e.to_string()))?
                        .trim()
                        .to_owned();
                    match attribute.key.local_name().as_ref() {
                        b"xmlUrl" => xml_url = Some(value),
                        b"title" => title = Some(value),
                        b"text" if title.is_none() => title = Some(value),
                        _ => {}
                    }
                }
                if let Some(xml_url) = xml_url.filter(|u| !u.is_empty()) {
                    feeds.push(OpmlFeed { title: title.unwrap_or_else(|| xml_url.clone()), xml_url });
                }
            }
            Event::Eof => return Ok(feeds),
            _ => {}
        }
    }
}

/// An OPML 2.0 document listing `feeds`.
pub fn export(feeds: &[OpmlFeed]) -> String {
    let outlines: String = feeds
        .iter()
        .map(|feed| {
            let title = escape(feed.title.as_str());
            format!(
                "    <outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{}\"/>\n",
                escape(feed.xml_url.as_str())
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n  <head><title>kabar sources</title></head>\n  <body>\n{outlines}  </body>\n</opml>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_read_from_nested_outlines() {
        let text = r#"<?xml version="1.0"?><opml version="2.0"><head/><body>
            <outline text="Berita"><outline text="SP &amp; Co" type="rss" xmlUrl="https://sp.example/feed/"/></outline>
            <outline title="Tempo" text="ignored" xmlUrl="https://tempo.example/rss"/>
            <outline text="A folder without a feed"/></body></opml>"#;
        let feeds = parse(text).unwrap();
        assert_eq!(
            feeds,
            [
                OpmlFeed { title: "SP & Co".into(), xml_url: "https://sp.example/feed/".into() },
                OpmlFeed { title: "Tempo".into(), xml_url: "https://tempo.example/rss".into() },
            ]
        );
    }

    #[test]
    fn an_export_reads_back_the_same() {
        let feeds = vec![OpmlFeed { title: "A <b> & \"c\"".into(), xml_url: "https://a.example/feed?x=1&y=2".into() }];
        assert_eq!(parse(&export(&feeds)).unwrap(), feeds);
    }

    #[test]
    fn broken_xml_is_an_error() {
        assert!(parse("<opml><outline xmlUrl=\"unterminated></opml>").is_err());
    }
}
