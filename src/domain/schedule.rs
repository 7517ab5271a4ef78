//! When a reader gets their news.
//!
//! Every reader picks a [`DeliveryMode`], optional [`QuietHours`] and a time zone; together
//! they form a [`Schedule`]. The delivery loop asks the schedule two questions:
//!
//! * [`Schedule::route`]: a story just arrived — send it now, send it silently, or hold it?
//! * [`Schedule::digest_due`]: stories have been held since some instant — send them as one
//!   digest now?
//!
//! All wall-clock reasoning happens in the reader's own zone, because "daily at 7" and
//! "quiet from 22:00" mean the reader's 7 and 22:00. Local times that do not exist or exist
//! twice (DST changes) are resolved without panicking; see [`Schedule::digest_due`].
//!
//! Everything here is pure: the current time is always passed in, so tests can pin it.

use std::fmt;

use chrono::{DateTime, Days, LocalResult, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use super::stored::text_column;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// How often a reader wants to hear from us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Every story as soon as it arrives (quiet hours permitting).
    Instant,
    /// One digest at every local top of the hour.
    Hourly,
    /// One digest a day at `hour`:00 local time. `hour` is 0..=23; an out-of-range hour (which
    /// only hand-written code can produce, [`DeliveryMode::from_stored`] rejects it) is treated
    /// as 23 rather than panicking.
    Daily { hour: u8 },
}

impl DeliveryMode {
    /// The form kept in the database: `"instant"`, `"hourly"` or `"daily:7"`.
    pub fn as_stored(&self) -> String {
        match self {
            DeliveryMode::Instant => "instant".to_owned(),
            DeliveryMode::Hourly => "hourly".to_owned(),
            DeliveryMode::Daily { hour } => format!("daily:{hour}"),
        }
    }

    /// Reads back what [`DeliveryMode::as_stored`] wrote. Strict on purpose: the stored form is
    /// machine-written, so anything unexpected is corruption and should surface as `None`.
    pub fn from_stored(stored: &str) -> Option<DeliveryMode> {
        match stored {
            "instant" => Some(DeliveryMode::Instant),
            "hourly" => Some(DeliveryMode::Hourly),
            _ => {
                let hour = parse_digits(stored.strip_prefix("daily:")?, 1, 2)?;
                let hour = u8::try_from(hour).ok().filter(|hour| *hour <= 23)?;
                Some(DeliveryMode::Daily { hour })
            }
        }
    }
}

text_column!(DeliveryMode, as_stored, from_stored);

/// A daily stretch of local time during which the reader does not want to be disturbed.
///
/// Stored as minutes since local midnight. The stretch may wrap past midnight (22:00–06:00);
/// the start minute is inside it, the end minute is not. Chat input goes through
/// [`QuietHours::parse`] (and `Display` shows it back the same way); the database keeps the
/// minutes as text, `"1320-360"`, through [`QuietHours::as_stored`] and
/// [`QuietHours::from_stored`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    start: u16,
    end: u16,
}

/// Why quiet hours could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuietHoursError {
    #[error("no quiet hours given; write them like 22:00-06:00")]
    Empty,
    #[error("“{0}” is not a time range; write it like 22:00-06:00")]
    NotARange(String),
    #[error("“{0}” is not a time of day; write it like 22:00, 22.00 or 22")]
    NotATime(String),
    #[error("minute {0} is past the end of the day; minutes since midnight go up to 1439")]
    MinuteOutOfRange(u16),
    #[error("quiet hours must start and end at different times")]
    StartEqualsEnd,
}

impl QuietHours {
    /// Quiet hours from `start_min` (inclusive) to `end_min` (exclusive), both minutes since
    /// local midnight (0..=1439). Equal start and end are rejected: it is unclear whether the
    /// reader meant "never quiet" or "always quiet", and neither is a useful setting.
    pub fn new(start_min: u16, end_min: u16) -> Result<QuietHours, QuietHoursError> {
        for minute in [start_min, end_min] {
            if minute >= MINUTES_PER_DAY {
                return Err(QuietHoursError::MinuteOutOfRange(minute));
            }
        }
        if start_min == end_min {
            return Err(QuietHoursError::StartEqualsEnd);
        }
        Ok(QuietHours { start: start_min, end: end_min })
    }

    /// Reads quiet hours the way people type them in chat: `22:00-06:00`, `22.00–06.00`
    /// (Indonesian dots, en or em dash), `22-6`, with spaces anywhere around the parts.
    /// `24:00` is accepted as midnight so that `20:00-24:00` works.
    pub fn parse(input: &str) -> Result<QuietHours, QuietHoursError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(QuietHoursError::Empty);
        }
        let (start, end) =
            input.split_once(['-', '–', '—']).ok_or_else(|| QuietHoursError::NotARange(input.to_owned()))?;
        QuietHours::new(parse_time_of_day(start)?, parse_time_of_day(end)?)
    }

    /// The form kept in the database: start and end minutes, `"1320-360"` for 22:00–06:00.
    /// Minutes rather than `"22:00"` so the column never depends on how times are displayed.
    pub fn as_stored(&self) -> String {
        format!("{}-{}", self.start, self.end)
    }

    /// Reads back what [`QuietHours::as_stored`] wrote; `None` for anything else, including
    /// ranges [`QuietHours::new`] would refuse.
    pub fn from_stored(stored: &str) -> Option<QuietHours> {
        let (start, end) = stored.split_once('-')?;
        QuietHours::new(parse_digits(start, 1, 4)?, parse_digits(end, 1, 4)?).ok()
    }

    /// Whether `minute_of_day` falls inside; a stretch that wraps midnight is the union of
    /// "from start until midnight" and "from midnight until end".
    fn contains(&self, minute_of_day: u16) -> bool {
        if self.start < self.end {
            self.start <= minute_of_day && minute_of_day < self.end
        } else {
            minute_of_day >= self.start || minute_of_day < self.end
        }
    }
}

text_column!(QuietHours, as_stored, from_stored);

/// Shows `22:00–06:00` (with an en dash), which [`QuietHours::parse`] reads back.
impl fmt::Display for QuietHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (start, end) = (self.start, self.end);
        write!(f, "{:02}:{:02}–{:02}:{:02}", start / 60, start % 60, end / 60, end % 60)
    }
}

/// `H`, `HH`, `H:MM`, `HH.MM` (surrounding spaces ignored) as minutes since midnight.
fn parse_time_of_day(text: &str) -> Result<u16, QuietHoursError> {
    let text = text.trim();
    let not_a_time = || QuietHoursError::NotATime(text.to_owned());
    let (hour, minute) = text.split_once([':', '.']).unwrap_or((text, "00"));
    let hour = parse_digits(hour, 1, 2).ok_or_else(not_a_time)?;
    let minute = parse_digits(minute, 2, 2).ok_or_else(not_a_time)?;
    match (hour, minute) {
        (24, 0) => Ok(0),
        (0..=23, 0..=59) => Ok(hour * 60 + minute),
        _ => Err(not_a_time()),
    }
}

/// Parses `min_len..=max_len` ASCII digits and nothing else; unlike `str::parse` it refuses a
/// leading `+`, so `"+7"` cannot sneak through.
fn parse_digits(text: &str, min_len: usize, max_len: usize) -> Option<u16> {
    let well_formed = (min_len..=max_len).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    if well_formed { text.parse().ok() } else { None }
}

/// A time zone name nobody recognised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone “{0}”; try WIB, WITA, WIT, UTC or a name like Asia/Jakarta")]
pub struct UnknownZone(pub String);

/// Reads a time zone from chat input: Indonesia's everyday abbreviations (WIB → Asia/Jakarta,
/// WITA → Asia/Makassar, WIT → Asia/Jayapura), `UTC`, or any IANA name in any letter case
/// (`asia/jakarta`). Surrounding spaces are ignored.
pub fn parse_zone(input: &str) -> Result<Tz, UnknownZone> {
    let input = input.trim();
    let indonesian = match input.to_ascii_uppercase().as_str() {
        "WIB" => Some(Tz::Asia__Jakarta),
        "WITA" => Some(Tz::Asia__Makassar),
        "WIT" => Some(Tz::Asia__Jayapura),
        "UTC" => Some(Tz::UTC),
        _ => None,
    };
    indonesian
        .or_else(|| input.parse().ok())
        .or_else(|| chrono_tz::TZ_VARIANTS.iter().copied().find(|zone| zone.name().eq_ignore_ascii_case(input)))
        .ok_or_else(|| UnknownZone(input.to_owned()))
}

/// A reader's chosen time zone, kept in the database by its IANA name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Zone {
    /// The IANA name, as stored.
    pub fn as_stored(&self) -> &'static str {
        self.0.name()
    }

    /// Reads back an IANA name exactly as stored.
    pub fn from_stored(stored: &str) -> Option<Zone> {
        stored.parse().ok().map(Zone)
    }
}

text_column!(Zone, as_stored, from_stored);

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name())
    }
}

/// Read as people write zones: an IANA name in any case, or WIB, WITA, WIT, UTC.
impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        parse_zone(&text).map(Zone).map_err(serde::de::Error::custom)
    }
}

/// Everything that decides when one reader receives stories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub mode: DeliveryMode,
    pub quiet: Option<QuietHours>,
    pub zone: Tz,
    /// Breaking news skips the reader's digest and is sent right away.
    pub breaking_instant: bool,
}

/// What to do with a story that just arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Send it with a notification.
    Now,
    /// Send it without a notification (Telegram's `disable_notification`).
    NowSilently,
    /// Keep it for the reader's next digest.
    Hold,
}

/// Instant delivery, no quiet hours, Jakarta time, breaking news straight through: what a
/// new reader in Indonesia most likely expects before touching any setting.
impl Default for Schedule {
    fn default() -> Schedule {
        Schedule { mode: DeliveryMode::Instant, quiet: None, zone: Tz::Asia__Jakarta, breaking_instant: true }
    }
}

impl Schedule {
    /// Decides what happens to a story arriving at `now`.
    ///
    /// A regular story goes out only to Instant readers outside their quiet hours; everyone
    /// else gets it in a digest. Breaking news also waits for the digest when the reader has
    /// a digest mode and opted out of instant breaking news; otherwise it goes out at once,
    /// silently if it lands in quiet hours — important enough to deliver, not to wake anyone.
    pub fn route(&self, breaking: bool, now: DateTime<Utc>) -> Route {
        let instant_mode = self.mode == DeliveryMode::Instant;
        let quiet = self.in_quiet_hours(now);
        if !breaking {
            return if instant_mode && !quiet { Route::Now } else { Route::Hold };
        }
        if !instant_mode && !self.breaking_instant {
            return Route::Hold;
        }
        if quiet { Route::NowSilently } else { Route::Now }
    }

    /// Whether `now`, seen on the reader's clock, falls inside their quiet hours.
    pub fn in_quiet_hours(&self, now: DateTime<Utc>) -> bool {
        let local = now.with_timezone(&self.zone);
        let minute_of_day = (local.hour() * 60 + local.minute()) as u16;
        self.quiet.is_some_and(|quiet| quiet.contains(minute_of_day))
    }

    /// Whether the stories held since `oldest_held` should go out now as one digest.
    ///
    /// Never during quiet hours. Instant readers only had stories held because of quiet
    /// hours, so theirs is due as soon as those end. Hourly and daily readers are due from
    /// the first local top of the hour (or the first local `hour`:00) strictly after
    /// `oldest_held`. A daily hour skipped by a DST jump moves an hour later that day; an hour
    /// that happens twice counts from its first occurrence. If no due time can be computed
    /// at all (only at the very end of chrono's date range) the digest is treated as due,
    /// because holding stories forever is the worse failure.
    pub fn digest_due(&self, oldest_held: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        if self.in_quiet_hours(now) {
            return false;
        }
        match self.next_digest_after(oldest_held) {
            Some(due) => now >= due,
            None => true,
        }
    }

    /// The first digest time strictly after `instant`; `None` for Instant readers, whose
    /// digest is bound to quiet hours only, and when chrono's date range runs out.
    fn next_digest_after(&self, instant: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = wall_time_at(self.zone, instant)?;
        match self.mode {
            DeliveryMode::Instant => None,
            DeliveryMode::Hourly => first_after(self.zone, instant, hourly_wall_times(local)),
            DeliveryMode::Daily { hour } => first_after(self.zone, instant, daily_wall_times(local, hour)),
        }
    }
}

/// What the reader's clock shows at `instant`; `None` only at the edges of chrono's range,
/// where `DateTime::naive_local` would panic.
fn wall_time_at(zone: Tz, instant: DateTime<Utc>) -> Option<NaiveDateTime> {
    let offset = instant.with_timezone(&zone).offset().fix();
    instant.naive_utc().checked_add_offset(offset)
}

/// Local tops of the hour starting with the one at or before `local`. Two days' worth is far
/// more than any DST gap can swallow.
fn hourly_wall_times(local: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> {
    let this_hour = NaiveTime::from_hms_opt(local.hour(), 0, 0).map(|time| local.date().and_time(time));
    this_hour.into_iter().flat_map(|start| (0..48).map_while(move |n| start.checked_add_signed(TimeDelta::hours(n))))
}

/// `hour`:00 on the day of `local` and the following days. A few days are enough even for
/// zones that once skipped a whole calendar day (Samoa, 2011).
fn daily_wall_times(local: NaiveDateTime, hour: u8) -> impl Iterator<Item = NaiveDateTime> {
    let time = NaiveTime::from_hms_opt(u32::from(hour.min(23)), 0, 0).unwrap_or(NaiveTime::MIN);
    let today = local.date();
    (0..4).map_while(move |n| today.checked_add_days(Days::new(n))).map(move |day| day.and_time(time))
}

/// The earliest instant strictly after `after` named by one of the ascending `wall_times`.
fn first_after(
    zone: Tz,
    after: DateTime<Utc>,
    wall_times: impl Iterator<Item = NaiveDateTime>,
) -> Option<DateTime<Utc>> {
    wall_times.flat_map(|wall_time| instants_at(zone, wall_time)).find(|instant| *instant > after)
}

/// The instants at which the reader's clock shows `wall_time`, earliest first.
///
/// Usually one. When clocks fall back the time happens twice and both count (the caller
/// wants the first one that is still ahead). When clocks spring forward it never happens, so
/// it moves an hour later — "daily at 2" on the spring-forward day in Berlin fires at 03:00.
fn instants_at(zone: Tz, wall_time: NaiveDateTime) -> impl Iterator<Item = DateTime<Utc>> {
    let [first, second] = match zone.from_local_datetime(&wall_time) {
        LocalResult::Single(instant) => [Some(instant), None],
        LocalResult::Ambiguous(earlier, later) => [Some(earlier), Some(later)],
        LocalResult::None => {
            let hour_later = wall_time.checked_add_signed(TimeDelta::hours(1));
            [hour_later.and_then(|later| zone.from_local_datetime(&later).earliest()), None]
        }
    };
    [first, second].into_iter().flatten().map(|instant| instant.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An instant given as wall-clock time in `zone`; panics on times that do not exist,
    /// which is what a test wants.
    fn at(zone: Tz, text: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("test time is well formed");
        zone.from_local_datetime(&naive).single().expect("test time exists exactly once").with_timezone(&Utc)
    }

    fn utc(text: &str) -> DateTime<Utc> {
        at(Tz::UTC, text)
    }

    fn jakarta(text: &str) -> DateTime<Utc> {
        at(Tz::Asia__Jakarta, text)
    }

    fn night_quiet() -> Option<QuietHours> {
        Some(QuietHours::new(22 * 60, 6 * 60).expect("valid quiet hours"))
    }

    fn schedule(mode: DeliveryMode, quiet: Option<QuietHours>, breaking_instant: bool) -> Schedule {
        Schedule { mode, quiet, zone: Tz::Asia__Jakarta, breaking_instant }
    }

    // ---- quiet hours -------------------------------------------------------------------

    #[test]
    fn wrapping_quiet_hours_edges_in_jakarta() {
        let reader = schedule(DeliveryMode::Instant, night_quiet(), true);
        assert!(!reader.in_quiet_hours(jakarta("2024-05-01 21:59")));
        assert!(reader.in_quiet_hours(jakarta("2024-05-01 22:00")));
        assert!(reader.in_quiet_hours(jakarta("2024-05-01 23:59")));
        assert!(reader.in_quiet_hours(jakarta("2024-05-02 00:00")));
        assert!(reader.in_quiet_hours(jakarta("2024-05-02 05:59")));
        assert!(!reader.in_quiet_hours(jakarta("2024-05-02 06:00")));
        assert!(!reader.in_quiet_hours(jakarta("2024-05-02 12:00")));
    }

    #[test]
    fn quiet_hours_are_judged_on_the_readers_clock_not_utc() {
        let reader = schedule(DeliveryMode::Instant, night_quiet(), true);
        // 15:00 UTC is 22:00 in Jakarta (UTC+7).
        assert!(reader.in_quiet_hours(utc("2024-05-01 15:00")));
        assert!(!reader.in_quiet_hours(utc("2024-05-01 14:59")));
    }

    #[test]
    fn daytime_quiet_hours_do_not_wrap() {
        let reader = schedule(DeliveryMode::Instant, Some(QuietHours::new(13 * 60, 14 * 60 + 30).unwrap()), true);
        assert!(!reader.in_quiet_hours(jakarta("2024-05-01 12:59")));
        assert!(reader.in_quiet_hours(jakarta("2024-05-01 13:00")));
        assert!(reader.in_quiet_hours(jakarta("2024-05-01 14:29")));
        assert!(!reader.in_quiet_hours(jakarta("2024-05-01 14:30")));
        assert!(!reader.in_quiet_hours(jakarta("2024-05-01 02:00")));
    }

    #[test]
    fn quiet_hours_starting_at_midnight() {
        let reader = schedule(DeliveryMode::Instant, Some(QuietHours::new(0, 6 * 60).unwrap()), true);
        assert!(reader.in_quiet_hours(jakarta("2024-05-01 00:00")));
        assert!(!reader.in_quiet_hours(jakarta("2024-05-01 23:59")));
    }

    #[test]
    fn no_quiet_hours_means_never_quiet() {
        let reader = Schedule::default();
        assert!(!reader.in_quiet_hours(jakarta("2024-05-01 03:00")));
    }

    // ---- routing -----------------------------------------------------------------------

    #[test]
    fn regular_story_routes() {
        let day = jakarta("2024-05-01 12:00");
        let night = jakarta("2024-05-01 23:00");
        let instant = schedule(DeliveryMode::Instant, night_quiet(), true);
        assert_eq!(instant.route(false, day), Route::Now);
        assert_eq!(instant.route(false, night), Route::Hold);
        for mode in [DeliveryMode::Hourly, DeliveryMode::Daily { hour: 7 }] {
            for breaking_instant in [true, false] {
                let digest_reader = schedule(mode, night_quiet(), breaking_instant);
                assert_eq!(digest_reader.route(false, day), Route::Hold);
                assert_eq!(digest_reader.route(false, night), Route::Hold);
            }
        }
    }

    #[test]
    fn breaking_story_routes_in_every_combination() {
        let day = jakarta("2024-05-01 12:00");
        let night = jakarta("2024-05-01 23:00");
        let daily = DeliveryMode::Daily { hour: 7 };
        // (mode, breaking_instant, route by day, route at night)
        let cases = [
            (DeliveryMode::Instant, true, Route::Now, Route::NowSilently),
            (DeliveryMode::Instant, false, Route::Now, Route::NowSilently),
            (DeliveryMode::Hourly, true, Route::Now, Route::NowSilently),
            (DeliveryMode::Hourly, false, Route::Hold, Route::Hold),
            (daily, true, Route::Now, Route::NowSilently),
            (daily, false, Route::Hold, Route::Hold),
        ];
        for (mode, breaking_instant, by_day, at_night) in cases {
            let reader = schedule(mode, night_quiet(), breaking_instant);
            assert_eq!(reader.route(true, day), by_day, "{mode:?} breaking_instant={breaking_instant} by day");
            assert_eq!(reader.route(true, night), at_night, "{mode:?} breaking_instant={breaking_instant} at night");
        }
    }

    #[test]
    fn breaking_story_without_quiet_hours_is_never_silent() {
        let reader = schedule(DeliveryMode::Hourly, None, true);
        assert_eq!(reader.route(true, jakarta("2024-05-01 03:00")), Route::Now);
    }

    #[test]
    fn default_schedule_sends_everything_now_in_jakarta() {
        let reader = Schedule::default();
        assert_eq!(reader.mode, DeliveryMode::Instant);
        assert_eq!(reader.quiet, None);
        assert_eq!(reader.zone, Tz::Asia__Jakarta);
        assert!(reader.breaking_instant);
        assert_eq!(reader.route(false, jakarta("2024-05-01 03:00")), Route::Now);
    }

    // ---- digests -----------------------------------------------------------------------

    #[test]
    fn instant_digest_is_due_when_quiet_hours_end() {
        let reader = schedule(DeliveryMode::Instant, night_quiet(), true);
        let held = jakarta("2024-05-01 23:10");
        assert!(!reader.digest_due(held, jakarta("2024-05-02 05:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-02 06:00")));
    }

    #[test]
    fn hourly_digest_is_due_at_the_next_top_of_the_hour() {
        let reader = schedule(DeliveryMode::Hourly, None, true);
        let held = jakarta("2024-05-01 10:20");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 10:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-01 11:00")));
        assert!(reader.digest_due(held, jakarta("2024-05-01 13:45")));
    }

    #[test]
    fn hourly_digest_held_exactly_on_the_hour_waits_a_full_hour() {
        let reader = schedule(DeliveryMode::Hourly, None, true);
        let held = jakarta("2024-05-01 10:00");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 10:00")));
        assert!(!reader.digest_due(held, jakarta("2024-05-01 10:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-01 11:00")));
    }

    #[test]
    fn hourly_digest_follows_local_hours_in_half_hour_zones() {
        // India is UTC+5:30, so its tops of the hour are at :30 UTC.
        let reader = Schedule { mode: DeliveryMode::Hourly, zone: Tz::Asia__Kolkata, ..Schedule::default() };
        let held = utc("2024-05-01 10:00"); // 15:30 in Kolkata
        assert!(!reader.digest_due(held, utc("2024-05-01 10:29")));
        assert!(reader.digest_due(held, utc("2024-05-01 10:30")));
    }

    #[test]
    fn hourly_digest_waits_out_quiet_hours() {
        let reader = schedule(DeliveryMode::Hourly, night_quiet(), true);
        let held = jakarta("2024-05-01 21:30");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 22:00")));
        assert!(!reader.digest_due(held, jakarta("2024-05-02 05:00")));
        assert!(reader.digest_due(held, jakarta("2024-05-02 06:00")));
    }

    #[test]
    fn daily_digest_held_before_the_hour_is_due_the_same_day() {
        let reader = schedule(DeliveryMode::Daily { hour: 7 }, None, true);
        let held = jakarta("2024-05-01 05:00");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 06:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-01 07:00")));
    }

    #[test]
    fn daily_digest_held_after_the_hour_waits_for_tomorrow() {
        let reader = schedule(DeliveryMode::Daily { hour: 7 }, None, true);
        let held = jakarta("2024-05-01 07:00");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 07:00")));
        assert!(!reader.digest_due(held, jakarta("2024-05-02 06:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-02 07:00")));
    }

    #[test]
    fn daily_digest_inside_quiet_hours_waits_for_them_to_end() {
        let reader = schedule(DeliveryMode::Daily { hour: 5 }, night_quiet(), true);
        let held = jakarta("2024-05-01 20:00");
        assert!(!reader.digest_due(held, jakarta("2024-05-02 05:00")));
        assert!(reader.digest_due(held, jakarta("2024-05-02 06:00")));
    }

    #[test]
    fn daily_digest_at_midnight() {
        let reader = schedule(DeliveryMode::Daily { hour: 0 }, None, true);
        let held = jakarta("2024-05-01 23:30");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 23:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-02 00:00")));
    }

    #[test]
    fn daily_hour_skipped_by_spring_forward_fires_an_hour_later() {
        // Berlin, 31 March 2024: clocks jump from 02:00 CET to 03:00 CEST (01:00 UTC).
        let berlin =
            Schedule { mode: DeliveryMode::Daily { hour: 2 }, zone: Tz::Europe__Berlin, ..Schedule::default() };
        let held = at(Tz::Europe__Berlin, "2024-03-31 00:30");
        assert!(!berlin.digest_due(held, utc("2024-03-31 00:59")));
        assert!(berlin.digest_due(held, utc("2024-03-31 01:00")));
        // The day after, 02:00 exists again (CEST, 00:00 UTC).
        let held = at(Tz::Europe__Berlin, "2024-03-31 12:00");
        assert!(!berlin.digest_due(held, utc("2024-03-31 23:59")));
        assert!(berlin.digest_due(held, utc("2024-04-01 00:00")));
    }

    #[test]
    fn daily_hour_repeated_by_fall_back_fires_at_its_first_occurrence() {
        // Berlin, 27 October 2024: 02:00–03:00 happens twice, first CEST (00:00 UTC) then CET.
        let berlin =
            Schedule { mode: DeliveryMode::Daily { hour: 2 }, zone: Tz::Europe__Berlin, ..Schedule::default() };
        let held = at(Tz::Europe__Berlin, "2024-10-26 12:00");
        assert!(!berlin.digest_due(held, utc("2024-10-26 23:59")));
        assert!(berlin.digest_due(held, utc("2024-10-27 00:00")));
    }

    #[test]
    fn hourly_digest_across_dst_changes() {
        let berlin = Schedule { mode: DeliveryMode::Hourly, zone: Tz::Europe__Berlin, ..Schedule::default() };
        // Spring forward: held 01:30 CET (00:30 UTC); the next top of the hour is 03:00 CEST.
        let held = utc("2024-03-31 00:30");
        assert!(!berlin.digest_due(held, utc("2024-03-31 00:59")));
        assert!(berlin.digest_due(held, utc("2024-03-31 01:00")));
        // Fall back: held 02:30 CEST (00:30 UTC); the next top of the hour is the second 02:00.
        let held = utc("2024-10-27 00:30");
        assert!(!berlin.digest_due(held, utc("2024-10-27 00:59")));
        assert!(berlin.digest_due(held, utc("2024-10-27 01:00")));
    }

    #[test]
    fn digest_far_out_of_range_does_not_panic() {
        for mode in [DeliveryMode::Hourly, DeliveryMode::Daily { hour: 23 }, DeliveryMode::Daily { hour: 200 }] {
            let reader = Schedule { mode, zone: Tz::Pacific__Kiritimati, ..Schedule::default() };
            assert!(reader.digest_due(DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MAX_UTC));
            let _ = reader.digest_due(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MIN_UTC);
            let _ = reader.route(true, DateTime::<Utc>::MAX_UTC);
            let _ = reader.route(true, DateTime::<Utc>::MIN_UTC);
        }
    }

    #[test]
    fn daily_hour_out_of_range_is_treated_as_23() {
        let reader = schedule(DeliveryMode::Daily { hour: 99 }, None, true);
        let held = jakarta("2024-05-01 12:00");
        assert!(!reader.digest_due(held, jakarta("2024-05-01 22:59")));
        assert!(reader.digest_due(held, jakarta("2024-05-01 23:00")));
    }

    // ---- parsing -----------------------------------------------------------------------

    #[test]
    fn quiet_hours_accept_the_ways_people_write_them() {
        let expected = QuietHours::new(22 * 60, 6 * 60).unwrap();
        for input in ["22:00-06:00", "22.00–06.00", "22-6", " 22 - 06 ", "22:00 — 6:00", "22.00-6"] {
            assert_eq!(QuietHours::parse(input), Ok(expected), "{input:?}");
        }
        assert_eq!(QuietHours::parse("23.30-5.15"), Ok(QuietHours::new(23 * 60 + 30, 5 * 60 + 15).unwrap()));
        assert_eq!(QuietHours::parse("20:00-24:00"), Ok(QuietHours::new(20 * 60, 0).unwrap()));
    }

    #[test]
    fn quiet_hours_display_round_trips() {
        let quiet = QuietHours::new(22 * 60, 6 * 60).unwrap();
        assert_eq!(quiet.to_string(), "22:00–06:00");
        assert_eq!(QuietHours::parse(&quiet.to_string()), Ok(quiet));
        for (start, end) in [(0, 1), (1439, 0), (13 * 60 + 5, 14 * 60 + 59), (5, 1430)] {
            let quiet = QuietHours::new(start, end).unwrap();
            assert_eq!(QuietHours::parse(&quiet.to_string()), Ok(quiet));
        }
    }

    #[test]
    fn quiet_hours_stored_form_round_trips() {
        assert_eq!(QuietHours::new(22 * 60, 6 * 60).unwrap().as_stored(), "1320-360");
        for (start, end) in [(0, 1), (1439, 0), (13 * 60 + 5, 14 * 60 + 59), (5, 1430)] {
            let quiet = QuietHours::new(start, end).unwrap();
            assert_eq!(QuietHours::from_stored(&quiet.as_stored()), Some(quiet));
        }
    }

    #[test]
    fn quiet_hours_reject_corrupt_stored_forms() {
        for stored in ["", "1320", "1320-", "-360", "1320-1320", "1440-0", "+1320-360", "1320-360-1", "22:00-06:00"] {
            assert_eq!(QuietHours::from_stored(stored), None, "{stored:?}");
        }
    }

    #[test]
    fn quiet_hours_reject_nonsense() {
        use QuietHoursError::*;
        assert_eq!(QuietHours::parse("25:00-06:00"), Err(NotATime("25:00".into())));
        assert_eq!(QuietHours::parse(""), Err(Empty));
        assert_eq!(QuietHours::parse("   "), Err(Empty));
        assert_eq!(QuietHours::parse("22:00-22:00"), Err(StartEqualsEnd));
        assert_eq!(QuietHours::parse("22-22.00"), Err(StartEqualsEnd));
        assert_eq!(QuietHours::parse("24-0"), Err(StartEqualsEnd));
        assert_eq!(QuietHours::parse("22:00"), Err(NotARange("22:00".into())));
        assert_eq!(QuietHours::parse("22:60-06:00"), Err(NotATime("22:60".into())));
        assert_eq!(QuietHours::parse("22:0-06:00"), Err(NotATime("22:0".into())));
        assert_eq!(QuietHours::parse("24:30-06:00"), Err(NotATime("24:30".into())));
        assert_eq!(QuietHours::parse("+2-6"), Err(NotATime("+2".into())));
        assert_eq!(QuietHours::parse("22-6-7"), Err(NotATime("6-7".into())));
        assert_eq!(QuietHours::parse("-06:00"), Err(NotATime("".into())));
        assert_eq!(QuietHours::parse("malam-pagi"), Err(NotATime("malam".into())));
        assert_eq!(QuietHours::parse("٢٢-٦"), Err(NotATime("٢٢".into())));
        assert_eq!(QuietHours::parse("99999999999999999999-1"), Err(NotATime("99999999999999999999".into())));
    }

    #[test]
    fn quiet_hours_constructor_checks_range() {
        assert_eq!(QuietHours::new(1440, 0), Err(QuietHoursError::MinuteOutOfRange(1440)));
        assert_eq!(QuietHours::new(0, u16::MAX), Err(QuietHoursError::MinuteOutOfRange(u16::MAX)));
        assert_eq!(QuietHours::new(300, 300), Err(QuietHoursError::StartEqualsEnd));
    }

    #[test]
    fn quiet_hours_errors_explain_themselves() {
        let message = QuietHours::parse("25:00-06:00").unwrap_err().to_string();
        assert!(message.contains("25:00"), "{message}");
    }

    #[test]
    fn delivery_mode_stored_form_round_trips() {
        let modes = [DeliveryMode::Instant, DeliveryMode::Hourly, DeliveryMode::Daily { hour: 0 }];
        for mode in modes.into_iter().chain((0..=23).map(|hour| DeliveryMode::Daily { hour })) {
            assert_eq!(DeliveryMode::from_stored(&mode.as_stored()), Some(mode));
        }
        assert_eq!(DeliveryMode::Instant.as_stored(), "instant");
        assert_eq!(DeliveryMode::Hourly.as_stored(), "hourly");
        assert_eq!(DeliveryMode::Daily { hour: 7 }.as_stored(), "daily:7");
    }

    #[test]
    fn delivery_mode_rejects_corrupt_stored_forms() {
        for stored in ["", "Instant", "daily", "daily:", "daily:24", "daily:+7", "daily:007", "daily: 7", "weekly"] {
            assert_eq!(DeliveryMode::from_stored(stored), None, "{stored:?}");
        }
        assert_eq!(DeliveryMode::from_stored("daily:07"), Some(DeliveryMode::Daily { hour: 7 }));
    }

    #[test]
    fn zones_parse_from_chat_input() {
        assert_eq!(parse_zone("Asia/Jakarta"), Ok(Tz::Asia__Jakarta));
        assert_eq!(parse_zone("asia/jakarta"), Ok(Tz::Asia__Jakarta));
        assert_eq!(parse_zone(" ASIA/MAKASSAR "), Ok(Tz::Asia__Makassar));
        assert_eq!(parse_zone("america/argentina/buenos_aires"), Ok(Tz::America__Argentina__Buenos_Aires));
        assert_eq!(parse_zone("WIB"), Ok(Tz::Asia__Jakarta));
        assert_eq!(parse_zone("wita"), Ok(Tz::Asia__Makassar));
        assert_eq!(parse_zone("Wit"), Ok(Tz::Asia__Jayapura));
        assert_eq!(parse_zone("utc"), Ok(Tz::UTC));
        assert_eq!(parse_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
    }

    #[test]
    fn unknown_zones_are_rejected() {
        for input in ["", "Jakarta", "Asia/Atlantis", "UTC+7", "WIBB"] {
            assert_eq!(parse_zone(input), Err(UnknownZone(input.to_owned())), "{input:?}");
        }
        assert!(parse_zone("Mars").unwrap_err().to_string().contains("Mars"));
    }

    #[test]
    fn zone_names_round_trip_through_parse_zone() {
        for zone in chrono_tz::TZ_VARIANTS {
            assert_eq!(parse_zone(zone.name()), Ok(zone));
            assert_eq!(parse_zone(&zone.name().to_lowercase()).map(|parsed| parsed.name()), Ok(zone.name()));
        }
    }
}
