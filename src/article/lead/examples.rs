//! Every built-in lead rule at work on what real pages put before their lead, in English and
//! Indonesian, and leads that look like boilerplate to a careless rule but must stay whole.

use std::sync::LazyLock;

use super::super::BoilerplateRules;
use super::*;

/// Compiled once: compiling every rule for each example would make up most of the test's time.
static RULES: LazyLock<BoilerplateRules> = LazyLock::new(BoilerplateRules::default);

/// What comes before the lead, paragraph by paragraph, with the rule that skips it.
const BEFORE_THE_LEAD: &[(&str, &str)] = &[
    (
        "caption ending with its credit",
        "A row of unsold vehicles sits at a dealership in Littleton, Colo. (AP Photo/David Zalubowski)",
    ),
    (
        "caption ending with its credit",
        "Warga memadati Stasiun Manggarai, Jakarta, Senin (18/11/2019). (ANTARA FOTO/Aprillio Akbar)",
    ),
    (
        "caption ending with its credit",
        "A cyclist rides next to a blocked petrol plant in La Paz, Bolivia. © Reuters / David Mercado",
    ),
    (
        "caption: in this photo",
        "In this Sunday, Nov. 10, 2019, photograph, a long row of unsold sports-utility vehicles sits at a dealership.",
    ),
    ("caption: in this photo", "FILE - In this photo taken on Oct. 3, 2019, a worker walks past the plant in Detroit."),
    ("caption or credit label", "Foto: Antara/Hafidz Mubarak"),
    ("caption or credit label", "Enlarge Image"),
    (
        "newsletter or alerts promotion",
        "Get breaking news alerts and special reports. The news and stories that matter, delivered weekday mornings.",
    ),
    ("newsletter or alerts promotion", "[What you need to know to start the day: Get New York Today in your inbox.]"),
    ("app promotion", "Download the NBC News app for breaking news and alerts on your phone."),
    ("promosi berita atau aplikasi", "Dapatkan update berita pilihan dan breaking news setiap hari dari Kompas.com."),
    ("promosi berita atau aplikasi", "Simak berita terkini lainnya di Google News."),
    ("sponsorship notice", "This post may contain affiliate and/or referral links. Please see my disclosure page."),
    ("sponsorship notice", "Konten bersponsor ini dibuat bersama mitra kami untuk pembaca setia."),
    (
        "affiliate disclosure",
        "AppleInsider has affiliate partnerships and may earn commission on products purchased through affiliate links.",
    ),
    ("advertisement label", "ADVERTISEMENT"),
    ("key points or fact-check box", "Key points:"),
    (
        "key points or fact-check box",
        "Cek Fakta: Video banjir ini bukan dari Jakarta, melainkan dari Bangladesh pada 2017.",
    ),
    ("key points or fact-check box", "Claim: The former ambassador has a net worth of $17 million, a post says."),
    ("byline", "By Matthew Digby and Minh Do | PolitiFact"),
    ("byline", "Oleh: Budi Santoso dan Siti Aminah"),
];

/// A lead with something glued before its first sentence, the rule that strips it, and how the
/// lead then starts.
const GLUED_TO_THE_LEAD: &[(&str, &str, &str)] = &[
    (
        "timestamp",
        "November 19, 2019 | 4:20am | Updated November 19, 2019 | 9:32pm Enlarge Image The professors were freed on Tuesday after three years in captivity.",
        "The professors were freed",
    ),
    (
        "time of day",
        "9:32pm | The professors were freed on Tuesday after three years in captivity in Afghanistan.",
        "The professors were freed",
    ),
    (
        "timestamp",
        "Senin, 18 Nov 2019 10:00 WIB - Harga emas Antam turun menjadi Rp 750.000 per gram pada perdagangan pagi ini.",
        "Harga emas Antam turun",
    ),
    (
        "byline with a date",
        "‘The Medium is the Message’: the 7th Amsterdam Light Festival By admin - 2018-09-16 As of 29 November 2018, thirty artworks will light up the city center of Amsterdam.",
        "As of 29 November 2018",
    ),
    (
        "byline with a date",
        "PolitiFact’s guide to tariffs By Louis Jacobson on Monday, November 18th, 2019 at 11:04 a.m. Breaking with decades of policy, the president has pursued tariffs.",
        "Breaking with decades",
    ),
    (
        "posted on a date by a name",
        "Jangan Membenci Satu Kaum Posted on Maret 30, 2015 by Admin Mudah2an kita bisa memahami dan mengamalkan Al Qur’an dan Hadits ini.",
        "Mudah2an kita bisa",
    ),
    (
        "bureau and update line",
        "New Delhi, News Nation Bureau | Updated: 19 November 2019, 09:01 AM In case you are living in Delhi-NCR, chances are you have an app to check the air.",
        "In case you are living",
    ),
    (
        "publicado por",
        "Atendimento registra arrombamento 05/10/2018 - Publicado por: Clarissa Borba - Categoria: Saúde - Tags: sad arrombamento veiculo A equipe do serviço registrou nesta manhã o arrombamento de dois automóveis.",
        "A equipe do serviço",
    ),
    (
        "caption glued before the lead",
        "This illustration shows a lunar lander [SpaceX via Nasa] Washington, DC, United States: Getting to the Moon, while not easy, has been done.",
        "Washington, DC, United States:",
    ),
    (
        "caption glued before the lead",
        "Warga antre di stasiun (ANTARA FOTO/Aprillio Akbar) Ribuan penumpang KRL tertahan di Stasiun Manggarai akibat gangguan sinyal pada Senin pagi.",
        "Ribuan penumpang KRL",
    ),
    (
        "page furniture",
        "Opinion Columnist Americans have gone to the polls four times this month to vote in major races.",
        "Americans have gone",
    ),
    (
        "the latest (all times local)",
        "HAYWARD, Calif. (AP) — The Latest on a deadly stabbing on a commuter train (all times local): 10 p.m. Authorities say a stabbing that killed a passenger may have followed a theft.",
        "Authorities say",
    ),
    (
        "dateline",
        "JAKARTA, KOMPAS.com - Presiden Joko Widodo melantik menteri baru di Istana Negara pada Rabu pagi.",
        "Presiden Joko Widodo",
    ),
    (
        "dateline",
        "HAYWARD, Calif. (AP) — A passenger was killed on a commuter train on Sunday night, the police said.",
        "A passenger was killed",
    ),
    (
        "dateline",
        "WASHINGTON (Reuters) - Scientists on Monday unveiled the first global geological map of Saturn's moon Titan.",
        "Scientists on Monday",
    ),
];

/// Leads that start with what a careless rule would take for boilerplate.
const LEADS_LEFT_ALONE: &[&str] = &[
    "By Monday, the council will vote on the 2020 budget that the mayor proposed in October.",
    "Rating agencies downgraded Italy's debt on Friday, citing the slowing economy and high deficits.",
    "Credit card debt rose 5% in the third quarter, the Federal Reserve said on Tuesday.",
    "In this image-obsessed age, museums are rethinking how visitors use their phones in galleries.",
    "The bill, passed by Congress on November 18, 2019, would extend funding for the government.",
    "Subscribers were told to sign up for the new plan before the newsletter closed in December.",
    "Users can download the new banking app from Monday, the bank said in a statement.",
    "November 19, 2019 was the day the city finally reopened its oldest bridge to traffic.",
    "Oleh karena itu, pemerintah memutuskan menunda kenaikan harga bahan bakar hingga tahun depan.",
    "Klaim asuransi kesehatan naik 20 persen tahun ini, menurut data Otoritas Jasa Keuangan.",
    "Ikuti perkembangan terbaru, pemerintah meminta warga tetap waspada terhadap banjir susulan.",
];

const LEAD: &str = "The city council voted on Monday to close the old bridge to all traffic.";

fn from_lead(paragraphs: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut fired = Fired::default();
    let paragraphs = paragraphs.iter().map(|p| (*p).to_owned()).collect();
    let lead = RULES.lead.from_lead(paragraphs, "", false, &mut fired);
    (lead.paragraphs, fired.into_names())
}

#[test]
fn every_built_in_lead_rule_has_an_example() {
    let rules = &RULES.lead;
    let names = rules.skip.names().chain(rules.strip.names()).chain(rules.dateline.names());
    let examples: Vec<&str> = BEFORE_THE_LEAD
        .iter()
        .map(|(name, _)| *name)
        .chain(GLUED_TO_THE_LEAD.iter().map(|(name, _, _)| *name))
        .collect();
    for name in names {
        assert!(examples.contains(&name), "the lead rule {name:?} has no example");
    }
}

#[test]
fn what_comes_before_the_lead_is_skipped_by_its_rule() {
    for (rule, before) in BEFORE_THE_LEAD {
        let (lead, fired) = from_lead(&[before, LEAD]);
        assert_eq!(lead, [LEAD], "{before:?}");
        assert!(fired.iter().any(|name| name == rule), "{rule:?} did not fire on {before:?}: {fired:?}");
    }
}

#[test]
fn what_is_glued_to_the_lead_is_stripped_by_its_rule() {
    for (rule, glued, start) in GLUED_TO_THE_LEAD {
        let (lead, fired) = from_lead(&[glued]);
        assert!(lead.first().is_some_and(|lead| lead.starts_with(start)), "{glued:?} gave {lead:?}");
        assert!(fired.iter().any(|name| name == rule), "{rule:?} did not fire on {glued:?}: {fired:?}");
    }
}

#[test]
fn leads_that_look_like_boilerplate_are_left_alone() {
    for lead in LEADS_LEFT_ALONE {
        let (found, fired) = from_lead(&[lead]);
        assert_eq!(found, [*lead], "fired: {fired:?}");
    }
}
