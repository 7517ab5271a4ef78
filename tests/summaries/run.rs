//! One way of summarising, run over the whole corpus.

use std::time::Instant;

use kabar::article::Summarizer;

use super::corpus::Page;
use super::scores::{Tally, overlap};

/// What one summarizer did with the corpus.
#[derive(Debug, Default)]
pub struct Run {
    pub tally: Tally,
    /// Mean share of the extracted body's words that the article text has.
    pub body_precision: f64,
    /// Mean share of the article text's words that the extracted body has.
    pub body_recall: f64,
    /// Pages read per second, on this one thread.
    pub pages_per_second: f64,
}

/// Reads every page of `pages` with `summarizer` and scores what came out.
pub fn run(summarizer: &Summarizer, pages: &[Page]) -> Run {
    let mut run = Run::default();
    let started = Instant::now();
    for page in pages {
        let preview = summarizer.read_page(&page.html, &page.url);
        let (precision, recall) = overlap(&preview.body, &page.gold.text);
        run.body_precision += precision;
        run.body_recall += recall;
        run.tally.add(&page.name, preview.summary.as_deref(), &page.gold);
    }
    run.pages_per_second = pages.len() as f64 / started.elapsed().as_secs_f64();
    run.body_precision /= pages.len().max(1) as f64;
    run.body_recall /= pages.len().max(1) as f64;
    run
}
