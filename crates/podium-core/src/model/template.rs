//! Board templates: what a recurring board is stamped out from. A template holds the board
//! defaults, a schedule (a cron expression read in a time zone) that cuts time into periods,
//! and the name and slug patterns each period's board is named by. The scheduler
//! (`service::admin::seasons`) turns periods into boards; this module only knows calendars.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use serde::{Deserialize, Serialize};

use super::{BoardType, KeepStrategy, Name, Slug, SortDirection, Text};
use crate::error::FieldCode;
use crate::id::{AccountId, GameId, TemplateId};
use crate::model::board::{DESCRIPTION_MAX, ICON_MAX, TAG_MAX, UNIT_MAX};
use crate::page::{SortValue, Sortable};
use crate::time::{Timestamp, to_micros};

/// When periods begin: a five-field cron expression (minute, hour, day of month, month, day of
/// week, as in crontab) or one of the shorthands `daily` (midnight), `weekly` (Monday
/// midnight) and `monthly` (midnight on the 1st), read in the template's time zone.
///
/// Times are local: a start that falls in a daylight-saving gap happens when the gap ends, and
/// one in a repeated hour happens once, at its first pass.
#[derive(Debug, Clone)]
pub struct Schedule {
    text: String,
    cron: Cron,
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Schedule {
    /// Longest schedule text.
    pub const MAX: usize = 100;

    /// Trims and validates; a schedule that never fires (`0 0 30 2 *`) is `invalid_value`.
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let text = s.trim();
        if text.is_empty() {
            return Err(FieldCode::Blank);
        }
        if text.len() > Self::MAX {
            return Err(FieldCode::TooLong);
        }
        let expr = match text {
            "daily" => "0 0 * * *",
            "weekly" => "0 0 * * 1",
            "monthly" => "0 0 1 * *",
            other => other,
        };
        // Five fields only: no seconds, no years, no `@` nicknames (the shorthands above are
        // the documented ones).
        if expr.contains('@') || expr.split_whitespace().count() != 5 || expr.chars().any(char::is_control) {
            return Err(FieldCode::InvalidFormat);
        }
        let parser = CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build();
        let cron = parser.parse(expr).map_err(|_| FieldCode::InvalidFormat)?;
        let schedule = Self { text: text.to_owned(), cron };
        // 29 February fires every four years; anything that cannot fire within eight never will.
        let probe = crate::time::from_micros(946_684_800_000_000); // 2000-01-01
        match schedule.next_after(Tz::UTC, probe) {
            Some(t) if t < probe + chrono::TimeDelta::days(8 * 366) => Ok(schedule),
            _ => Err(FieldCode::InvalidValue),
        }
    }

    /// The text as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first period start strictly after `at`, read in `tz`.
    pub fn next_after(&self, tz: Tz, at: Timestamp) -> Option<Timestamp> {
        // Periods begin on whole minutes; the search keeps the fraction of a second it is
        // given, so it is given whole seconds (the floor: "after" stays after).
        let local = whole_seconds(at).with_timezone(&tz);
        self.cron.find_next_occurrence(&local, false).ok().map(|t| whole_seconds(t.with_timezone(&Utc)))
    }

    /// The last period start at or before `at`: the start of the period `at` falls in.
    pub fn last_at_or_before(&self, tz: Tz, at: Timestamp) -> Option<Timestamp> {
        let local = whole_seconds(at).with_timezone(&tz);
        self.cron.find_previous_occurrence(&local, true).ok().map(|t| whole_seconds(t.with_timezone(&Utc)))
    }
}

fn whole_seconds(t: Timestamp) -> Timestamp {
    crate::time::from_micros(t.timestamp() * 1_000_000)
}

impl Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl utoipa::PartialSchema for Schedule {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}
impl utoipa::ToSchema for Schedule {}

/// An IANA time zone name (`Europe/Berlin`, `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(Tz);

impl TimeZone {
    /// UTC.
    pub const UTC: Self = Self(Tz::UTC);

    /// A known IANA name, exactly (`invalid_value` otherwise).
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        s.parse::<Tz>().map(Self).map_err(|_| FieldCode::InvalidValue)
    }

    /// The zone.
    pub fn tz(self) -> Tz {
        self.0
    }

    /// Its IANA name.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl utoipa::PartialSchema for TimeZone {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}
impl utoipa::ToSchema for TimeZone {}

/// The placeholders a pattern may use.
pub const PLACEHOLDERS: &[&str] = &["year", "month", "week", "week_year", "day", "series"];

/// A name or slug pattern: text with `{year}`, `{month}`, `{week}`, `{week_year}`, `{day}` and
/// `{series}` placeholders, filled in from the period's start in the template's time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(String);

impl Pattern {
    /// Longest pattern, in characters.
    pub const MAX: usize = 200;

    /// Trims and validates: braces only around a known placeholder (`unknown_placeholder`
    /// names the others; a lone brace is `invalid_format`).
    pub fn parse(s: &str) -> Result<Self, FieldCode> {
        let t = s.trim();
        if t.is_empty() {
            return Err(FieldCode::Blank);
        }
        if t.chars().count() > Self::MAX {
            return Err(FieldCode::TooLong);
        }
        if t.chars().any(char::is_control) {
            return Err(FieldCode::InvalidCharacters);
        }
        let mut rest = t;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(FieldCode::InvalidFormat);
            }
            let after = &rest[open + 1..];
            let Some(close) = after.find(['{', '}']).filter(|&i| after[i..].starts_with('}')) else {
                return Err(FieldCode::InvalidFormat);
            };
            if !PLACEHOLDERS.contains(&&after[..close]) {
                return Err(FieldCode::UnknownPlaceholder);
            }
            rest = &after[close + 1..];
        }
        Ok(Self(t.to_owned()))
    }

    /// Wraps a pattern read back from the store.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }

    /// The pattern text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The pattern with every placeholder filled in.
    pub fn render(&self, labels: &PeriodLabels) -> String {
        let mut out = self.0.clone();
        for (name, value) in [
            ("year", format!("{:04}", labels.year)),
            ("month", format!("{:02}", labels.month)),
            ("week_year", format!("{:04}", labels.week_year)),
            ("week", format!("{:02}", labels.week)),
            ("day", format!("{:02}", labels.day)),
            ("series", labels.series.to_string()),
        ] {
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        out
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl utoipa::PartialSchema for Pattern {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        String::schema()
    }
}
impl utoipa::ToSchema for Pattern {}

/// What a period's placeholders are filled with: its start's calendar date in the template's
/// time zone, and its series number (1 for the template's first board).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodLabels {
    /// Calendar year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// ISO 8601 week, 1–53.
    pub week: u32,
    /// The ISO 8601 year the week belongs to (differs from `year` around New Year).
    pub week_year: i32,
    /// Day of the month, 1–31.
    pub day: u32,
    /// The board's number in the template's series.
    pub series: i64,
}

impl PeriodLabels {
    /// The labels of a period starting at `start`, read in `tz`.
    pub fn of(start: Timestamp, tz: Tz, series: i64) -> Self {
        let local = start.with_timezone(&tz);
        let iso = local.iso_week();
        Self {
            year: local.year(),
            month: local.month(),
            week: iso.week(),
            week_year: iso.year(),
            day: local.day(),
            series,
        }
    }
}

/// The board every period gets: the fields of `POST /v1/boards` a template fixes (a RATIO
/// board needs source boards of its own period, so templates stamp out the other types).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BoardDefaults {
    /// Free text.
    pub description: Option<Text<{ DESCRIPTION_MAX }>>,
    /// An icon name or URL.
    pub icon: Option<Text<{ ICON_MAX }>>,
    /// The unit of values.
    pub unit: Option<Text<{ UNIT_MAX }>>,
    /// Labels for grouping boards.
    pub tags: Vec<Text<{ TAG_MAX }>>,
    /// `RUN_IDENTITY`, `RUN_RUNS` or `COUNTER`.
    pub board_type: BoardType,
    /// Which values rank higher.
    pub sort_direction: SortDirection,
    /// RUN_IDENTITY only; `NA` on other types.
    pub keep_strategy: KeepStrategy,
    /// Whether game clients see the boards.
    pub is_published: bool,
    /// Player names must be unique across boards with this flag.
    pub unique_player_names: bool,
    /// Lowest plausible value.
    pub min_value: Option<f64>,
    /// Highest plausible value.
    pub max_value: Option<f64>,
}

/// The board defaults as a request gives them (and as they are stored): every field optional,
/// with the defaults of `POST /v1/boards`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardDefaultsInput {
    /// Free text, up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Icon name or URL, up to 512 characters.
    #[serde(default)]
    pub icon: Option<String>,
    /// Unit of values, up to 32 characters.
    #[serde(default)]
    pub unit: Option<String>,
    /// Up to 20 tags of 1–32 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    /// Default `RUN_IDENTITY`; `RATIO` is refused.
    #[serde(default)]
    pub board_type: Option<BoardType>,
    /// Default `DESCENDING`.
    #[serde(default)]
    pub sort_direction: Option<SortDirection>,
    /// Default `BEST` on RUN_IDENTITY, `NA` otherwise.
    #[serde(default)]
    pub keep_strategy: Option<KeepStrategy>,
    /// Default true.
    #[serde(default)]
    pub is_published: Option<bool>,
    /// Default false.
    #[serde(default)]
    pub unique_player_names: Option<bool>,
    /// Lowest plausible value.
    #[serde(default)]
    pub min_value: Option<f64>,
    /// Highest plausible value; at least `min_value`.
    #[serde(default)]
    pub max_value: Option<f64>,
}

impl BoardDefaults {
    /// Wraps defaults read back from the store, which were validated when written.
    pub fn from_trusted(d: BoardDefaultsInput) -> Self {
        let board_type = d.board_type.unwrap_or(BoardType::RunIdentity);
        Self {
            description: d.description.map(Text::from_trusted),
            icon: d.icon.map(Text::from_trusted),
            unit: d.unit.map(Text::from_trusted),
            tags: d.tags.unwrap_or_default().into_iter().map(Text::from_trusted).collect(),
            board_type,
            sort_direction: d.sort_direction.unwrap_or(SortDirection::Descending),
            keep_strategy: d.keep_strategy.unwrap_or(if board_type == BoardType::RunIdentity {
                KeepStrategy::Best
            } else {
                KeepStrategy::Na
            }),
            is_published: d.is_published.unwrap_or(true),
            unique_player_names: d.unique_player_names.unwrap_or(false),
            min_value: d.min_value,
            max_value: d.max_value,
        }
    }
}

impl From<&BoardDefaults> for BoardDefaultsInput {
    fn from(d: &BoardDefaults) -> Self {
        Self {
            description: d.description.as_ref().map(|t| t.as_str().to_owned()),
            icon: d.icon.as_ref().map(|t| t.as_str().to_owned()),
            unit: d.unit.as_ref().map(|t| t.as_str().to_owned()),
            tags: Some(d.tags.iter().map(|t| t.as_str().to_owned()).collect()),
            board_type: Some(d.board_type),
            sort_direction: Some(d.sort_direction),
            keep_strategy: Some(d.keep_strategy),
            is_published: Some(d.is_published),
            unique_player_names: Some(d.unique_player_names),
            min_value: d.min_value,
            max_value: d.max_value,
        }
    }
}

/// Shortest tournament window.
pub const DURATION_MIN_SECONDS: i64 = 60;
/// Longest tournament window (a leap year).
pub const DURATION_MAX_SECONDS: i64 = 366 * 86_400;

/// A board template.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BoardTemplate {
    /// `tpl_…`
    pub id: TemplateId,
    /// The owning account.
    pub account_id: AccountId,
    /// The game its boards belong to.
    pub game_id: GameId,
    /// Display name.
    pub name: Name,
    /// Unique per game among live templates; clients find the current board by it.
    pub slug: Slug,
    /// Each board's name, e.g. `Weekly {year}-W{week}`.
    pub name_pattern: Pattern,
    /// Each board's slug, e.g. `weekly-{week_year}-{week}`.
    pub slug_pattern: Pattern,
    /// When periods begin.
    pub schedule: Schedule,
    /// The zone the schedule and the placeholders are read in.
    pub time_zone: TimeZone,
    /// When set, each board closes this many seconds after its period begins (a tournament
    /// window); otherwise it stays open until the next period begins.
    pub duration_seconds: Option<i64>,
    /// The board each period gets.
    pub board: BoardDefaults,
    /// Inactive templates stamp out nothing.
    pub is_active: bool,
    /// No board opens before this time; the first covers the period it falls in.
    pub starts_at: DateTime<Utc>,
    /// No period begins at or after this time.
    pub ends_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted (only ever seen in the answer to the deleting `PATCH`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
}

impl BoardTemplate {
    /// Fields `GET /v1/board-templates` can sort by (besides `id`).
    pub const SORTABLE: &'static [&'static str] = &["name", "slug", "created_at", "updated_at"];
}

impl Sortable for BoardTemplate {
    fn sort_value(&self, field: &str) -> SortValue {
        match field {
            "name" => SortValue::Text(self.name.to_string()),
            "slug" => SortValue::Text(self.slug.to_string()),
            "created_at" => SortValue::Int(to_micros(self.created_at)),
            "updated_at" => SortValue::Int(to_micros(self.updated_at)),
            _ => SortValue::Text(self.id.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Timestamp {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("valid time")
    }

    #[test]
    fn shorthands_and_five_field_expressions_parse_and_anything_else_is_refused() {
        for ok in ["daily", "weekly", "monthly", " 0 0 * * 1 ", "*/15 * * * *", "0 0 L * *", "30 2 * * MON-FRI"] {
            assert!(Schedule::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(Schedule::parse("").err(), Some(FieldCode::Blank));
        for bad in ["0 0 0 * * *", "0 0 * *", "@daily", "hourly", "61 * * * *", "0 0 * * 8", "0\u{0} 0 * * *"] {
            assert_eq!(Schedule::parse(bad).err(), Some(FieldCode::InvalidFormat), "{bad}");
        }
        assert_eq!(Schedule::parse("0 0 30 2 *").err(), Some(FieldCode::InvalidValue));
        assert_eq!(Schedule::parse(&"1".repeat(101)).err(), Some(FieldCode::TooLong));
    }

    #[test]
    fn monthly_periods_begin_on_every_first_including_after_short_months() {
        let s = Schedule::parse("monthly").expect("parses");
        let mut at = utc(2027, 12, 15, 0, 0);
        let mut starts = Vec::new();
        for _ in 0..4 {
            at = s.next_after(Tz::UTC, at).expect("fires");
            starts.push(at);
        }
        assert_eq!(
            starts,
            vec![utc(2028, 1, 1, 0, 0), utc(2028, 2, 1, 0, 0), utc(2028, 3, 1, 0, 0), utc(2028, 4, 1, 0, 0)]
        );
        assert_eq!(s.last_at_or_before(Tz::UTC, utc(2028, 2, 29, 23, 59)), Some(utc(2028, 2, 1, 0, 0)));
        assert_eq!(s.last_at_or_before(Tz::UTC, utc(2028, 3, 1, 0, 0)), Some(utc(2028, 3, 1, 0, 0)));
    }

    #[test]
    fn fractions_of_a_second_never_reach_a_period_start() {
        let s = Schedule::parse("daily").expect("parses");
        let at = utc(2026, 12, 4, 18, 29) + chrono::TimeDelta::microseconds(417_824);
        assert_eq!(s.last_at_or_before(Tz::UTC, at), Some(utc(2026, 12, 4, 0, 0)));
        assert_eq!(s.next_after(Tz::UTC, at), Some(utc(2026, 12, 5, 0, 0)));
        let midnight_and_a_half = utc(2026, 12, 5, 0, 0) + chrono::TimeDelta::milliseconds(500);
        assert_eq!(s.next_after(Tz::UTC, midnight_and_a_half), Some(utc(2026, 12, 6, 0, 0)));
        assert_eq!(s.last_at_or_before(Tz::UTC, midnight_and_a_half), Some(utc(2026, 12, 5, 0, 0)));
    }

    #[test]
    fn a_leap_day_schedule_fires_only_in_leap_years_and_the_last_day_of_february_is_the_29th_then() {
        let leap = Schedule::parse("0 0 29 2 *").expect("parses");
        assert_eq!(leap.next_after(Tz::UTC, utc(2026, 3, 1, 0, 0)), Some(utc(2028, 2, 29, 0, 0)));
        let last = Schedule::parse("0 0 L * *").expect("parses");
        assert_eq!(last.next_after(Tz::UTC, utc(2028, 2, 1, 0, 0)), Some(utc(2028, 2, 29, 0, 0)));
        assert_eq!(last.next_after(Tz::UTC, utc(2027, 2, 1, 0, 0)), Some(utc(2027, 2, 28, 0, 0)));
    }

    #[test]
    fn daylight_saving_gaps_fire_when_the_gap_ends_and_repeated_hours_fire_once() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        let s = Schedule::parse("30 2 * * *").expect("parses");
        // 29 March 2026: 02:00 → 03:00 local. 02:30 does not exist; the period begins at 03:00
        // CEST (01:00 UTC).
        assert_eq!(s.next_after(berlin, utc(2026, 3, 28, 12, 0)), Some(utc(2026, 3, 29, 1, 0)));
        // 25 October 2026: 03:00 → 02:00 local. 02:30 happens twice; one period, at the first.
        let first = s.next_after(berlin, utc(2026, 10, 24, 12, 0)).expect("fires");
        assert_eq!(first, utc(2026, 10, 25, 0, 30));
        assert_eq!(s.next_after(berlin, first), Some(utc(2026, 10, 26, 1, 30)));
        // Midnight that does not exist (Santiago, 6 September 2026): the day still has a period.
        let santiago: Tz = "America/Santiago".parse().expect("zone");
        let daily = Schedule::parse("daily").expect("parses");
        let sep6 = daily.next_after(santiago, utc(2026, 9, 5, 12, 0)).expect("fires");
        assert_eq!(sep6, utc(2026, 9, 6, 4, 0));
        assert_eq!(daily.next_after(santiago, sep6), Some(utc(2026, 9, 7, 3, 0)));
    }

    #[test]
    fn patterns_accept_only_known_placeholders_and_render_them_zero_padded() {
        assert_eq!(Pattern::parse("Weekly {nope}").err(), Some(FieldCode::UnknownPlaceholder));
        for bad in ["Weekly {year", "Weekly year}", "a {{year}}", "{}"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        let p = Pattern::parse("Season {series}: {year}-{month}-{day} W{week} ({week_year})").expect("parses");
        let labels = PeriodLabels::of(utc(2026, 12, 28, 0, 0), Tz::UTC, 7);
        assert_eq!(p.render(&labels), "Season 7: 2026-12-28 W53 (2026)");
        let labels = PeriodLabels::of(utc(2024, 12, 30, 0, 0), Tz::UTC, 1);
        assert_eq!(p.render(&labels), "Season 1: 2024-12-30 W01 (2025)");
    }

    #[test]
    fn labels_are_read_in_the_template_time_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().expect("zone");
        // 2026-01-31 20:00 UTC is 1 February in Tokyo.
        let labels = PeriodLabels::of(utc(2026, 1, 31, 20, 0), tokyo, 3);
        assert_eq!((labels.year, labels.month, labels.day), (2026, 2, 1));
    }
}
