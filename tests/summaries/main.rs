//! Summaries of real article pages (`tests/fixtures/articles`) start where the article starts,
//! carry next to no boilerplate, and every page with running text gets one. The figures are
//! those `cargo bench --bench summaries` prints; here they are asserted.

mod corpus;
mod gold;
mod run;
mod scores;

use kabar::article::Summarizer;
use kabar::config::SummarySettings;

/// Fewer pages than this and the corpus has lost its point.
const MIN_PAGES: usize = 150;
const MIN_FIRST_SENTENCE_SHARE: f64 = 0.90;
const MIN_PRECISION: f64 = 0.97;

#[test]
fn summaries_of_real_article_pages_start_with_the_articles_first_sentence() {
    let pages = corpus::pages();
    assert!(pages.len() >= MIN_PAGES, "only {} pages in the corpus", pages.len());

    let tally = run::run(&Summarizer::new(&SummarySettings::default()), &pages).tally;
    let wrong: Vec<String> =
        tally.wrong_start.iter().map(|(name, summary, gold)| format!("{name}\n  {summary}\n  gold: {gold}")).collect();
    println!(
        "first sentence right: {:.1}% ({}/{}); precision {:.3}; without a summary: {:?}",
        100.0 * tally.first_sentence_share(),
        tally.first_sentence_right,
        tally.with_lead,
        tally.precision(),
        tally.missing
    );
    assert!(
        tally.first_sentence_share() >= MIN_FIRST_SENTENCE_SHARE,
        "{:.1}% of summaries start with the article's first sentence; these do not:\n{}",
        100.0 * tally.first_sentence_share(),
        wrong.join("\n")
    );
    assert!(tally.precision() >= MIN_PRECISION, "token precision {:.3}", tally.precision());
    assert!(tally.missing.is_empty(), "pages with running text and no summary: {:?}", tally.missing);
}

mod gold_checks {
    use super::gold::*;

    #[test]
    fn the_gold_lead_skips_labels_and_unpunctuated_lines() {
        let gold = Gold::from_text(
            "CLICK FOR FULL RESULTS\nShort line.\nThe first real sentence of this story is here. Then more.",
        );
        assert_eq!(gold.first_sentence(), Some("The first real sentence of this story is here."));
    }

    #[test]
    fn the_gold_lead_of_html_skips_captions_and_lists() {
        let html = "<figure><p>A long caption of a photograph that ends with a period.</p></figure>\
                    <ul><li><p>A key point that is long enough to be running text.</p></li></ul>\
                    <p>The story itself starts with this sentence of running text. It goes on.</p>";
        assert_eq!(
            Gold::from_html(html).first_sentence(),
            Some("The story itself starts with this sentence of running text.")
        );
    }
}

mod scores_checks {
    use super::scores::*;

    #[test]
    fn a_summary_starting_with_the_gold_sentence_is_right() {
        let gold = "The council voted on Monday to close the bridge.";
        assert!(first_sentence_is_right("The council voted on Monday to close the bridge. More.", gold));
        assert!(first_sentence_is_right("the council voted, on Monday, to close the bridge!", gold));
    }

    #[test]
    fn a_summary_without_the_dateline_is_right_and_one_starting_elsewhere_is_not() {
        let gold = "MADRID — Rafael Nadal kept Spain's hopes alive on Sunday. Then more.";
        assert!(first_sentence_is_right("Rafael Nadal kept Spain's hopes alive on Sunday.", gold));
        assert!(first_sentence_is_right("MADRID — Rafael Nadal kept Spain's hopes alive on Sunday. Then", gold));
        assert!(!first_sentence_is_right(
            "Get breaking news alerts. Rafael Nadal kept Spain's hopes alive on Sunday.",
            gold
        ));
        assert!(!first_sentence_is_right(
            "Spain's hopes alive on Sunday.",
            "Rafael Nadal kept Spain's hopes alive on Sunday."
        ));
        assert!(!first_sentence_is_right("Rafael Nadal kept Spain's hopes.", gold), "a shorter first sentence");
    }

    #[test]
    fn a_dateline_the_splitter_cuts_in_two_still_counts_as_a_dateline() {
        let gold = "COLUMBIA, S.C. (AP) — About a dozen owners were gathered on Tuesday night. More.";
        assert!(first_sentence_is_right("About a dozen owners were gathered on Tuesday night.", gold));
    }

    #[test]
    fn a_cut_first_sentence_is_right_when_it_starts_the_gold_one() {
        assert!(first_sentence_is_right("The council voted on…", "The council voted on Monday to close the bridge."));
        assert!(!first_sentence_is_right("Photo: council…", "The council voted on Monday to close the bridge."));
    }

    #[test]
    fn precision_counts_the_summary_words_the_article_has() {
        assert_eq!(token_precision("The bridge closes", "The bridge closes today"), 1.0);
        assert_eq!(token_precision("Subscribe now: the bridge closes", "The bridge closes today"), 0.6);
        assert_eq!(token_precision("the the", "the"), 0.5);
    }
}
