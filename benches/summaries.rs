//! Summary quality on the article-page corpus (`tests/fixtures/articles`), one column per
//! extractor: where summaries start, how much boilerplate leaks into them, which pages get none,
//! and how well each extractor's body matches the article text.
//!
//! `cargo bench --bench summaries`. With `SUMMARIES_SHOW=wrong`, `leaks` or `missing`, the pages
//! behind a figure are listed too, for the default extractor (or `SUMMARIES_EXTRACTOR=
//! readability|trafilatura|combined`).

#[path = "../tests/summaries/corpus.rs"]
mod corpus;
#[path = "../tests/summaries/gold.rs"]
mod gold;
#[path = "../tests/summaries/run.rs"]
mod run;
#[path = "../tests/summaries/scores.rs"]
mod scores;

use kabar::article::{Extractor, Summarizer};
use kabar::config::SummarySettings;

const COLUMNS: [(&str, Extractor); 3] = [
    ("dom_smoothie", Extractor::Readability),
    ("rs-trafilatura", Extractor::Trafilatura),
    ("chosen: trafilatura, else dom_smoothie", Extractor::Combined),
];

fn main() {
    let pages = corpus::pages();
    println!("kabar summaries benchmark: {} article pages, default summary settings", pages.len());
    let runs: Vec<run::Run> = COLUMNS.iter().map(|(_, extractor)| run::run(&summarizer(*extractor), &pages)).collect();

    let row = |label: &str, cell: &dyn Fn(&run::Run) -> String| {
        let cells: Vec<String> = runs.iter().map(|run| format!("{:>16}", cell(run))).collect();
        println!("{label:<40}{}", cells.join(""));
    };
    let names: Vec<String> = COLUMNS.iter().map(|(name, _)| format!("{:>16}", short(name))).collect();
    println!("{:<40}{}", "", names.join(""));
    row("first sentence right (target >= 90%)", &|run| {
        format!(
            "{:.1}% {}/{}",
            100.0 * run.tally.first_sentence_share(),
            run.tally.first_sentence_right,
            run.tally.with_lead
        )
    });
    row("summary token precision (target >= 0.97)", &|run| format!("{:.3}", run.tally.precision()));
    row("pages without a summary (target 0)", &|run| run.tally.missing.len().to_string());
    row("body token precision", &|run| format!("{:.3}", run.body_precision));
    row("body token recall", &|run| format!("{:.3}", run.body_recall));
    row("body token F1", &|run| format!("{:.3}", f1(run.body_precision, run.body_recall)));
    row("pages read per second (one core)", &|run| format!("{:.0}", run.pages_per_second));
    println!("(columns: {})", COLUMNS.map(|(name, _)| name).join(" | "));
    if let Some(chosen) = runs.last() {
        print_by_suite(&pages, &chosen.tally);
    }

    show_details(&pages);
}

fn summarizer(extractor: Extractor) -> Summarizer {
    Summarizer::new(&SummarySettings::default()).with_extractor(extractor)
}

/// The harmonic mean of a precision and a recall.
fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) }
}

fn short(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// The first-sentence figure of the chosen extraction for each suite of the corpus: their golds
/// differ (people for scrapinghub, Readability.js's own output for readability).
fn print_by_suite(pages: &[corpus::Page], tally: &scores::Tally) {
    let suite = |name: &str| name.split('/').next().unwrap_or(name).to_owned();
    let mut suites: Vec<String> = pages.iter().map(|page| suite(&page.name)).collect();
    suites.dedup();
    for name in suites {
        let with_lead = pages.iter().filter(|page| suite(&page.name) == name && page.gold.lead.is_some()).count();
        let wrong = tally.wrong_start.iter().map(|(page, _, _)| page).chain(&tally.missing);
        let right = with_lead - wrong.filter(|page| suite(page) == name).count();
        println!("  chosen, {name}: first sentence right {right}/{with_lead}");
    }
}

/// Lists the pages behind one figure, when `SUMMARIES_SHOW` asks for them.
fn show_details(pages: &[corpus::Page]) {
    let Ok(show) = std::env::var("SUMMARIES_SHOW") else { return };
    let extractor = match std::env::var("SUMMARIES_EXTRACTOR").as_deref() {
        Ok("readability") => Extractor::Readability,
        Ok("trafilatura") => Extractor::Trafilatura,
        _ => Extractor::Combined,
    };
    let tally = run::run(&summarizer(extractor), pages).tally;
    match show.as_str() {
        "wrong" => {
            for (name, summary, gold) in &tally.wrong_start {
                println!("\n{name}\n  summary: {summary}\n  gold:    {gold}");
            }
        }
        "leaks" => {
            for (name, precision, summary) in &tally.leaks {
                println!("\n{name} ({precision:.2})\n  summary: {summary}");
            }
        }
        _ => println!("\nwithout a summary: {:#?}", tally.missing),
    }
}
