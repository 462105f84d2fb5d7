//! Time zones: IANA names (the database is built in), parsed once. Times
//! are stored in UTC and shown and typed in the viewer's zone.

use crate::ValidationError;
use jiff::civil::{Date, DateTime};
use jiff::tz::{Disambiguation, TimeZone};
use jiff::Timestamp;

/// A time zone by its IANA name, e.g. `Europe/London`.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Zone) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: TimeZone::UTC,
        }
    }

    /// A name from the IANA database (any case), e.g. `europe/london`: one
    /// lookup in the built-in database (this runs on every page load for
    /// users with a zone).
    pub fn parse(name: &str) -> Result<Zone, ValidationError> {
        let refused = || ValidationError::new("time_zone", "Choose a time zone from the list");
        let tz = TimeZone::get(name.trim()).map_err(|_| refused())?;
        let name = tz.iana_name().ok_or_else(refused)?.to_string();
        Ok(Zone { name, tz })
    }

    /// The first of `names` that is a zone (the user's, else the
    /// company's, …).
    pub fn first_of<'a>(names: impl IntoIterator<Item = Option<&'a str>>) -> Option<Zone> {
        names
            .into_iter()
            .flatten()
            .find_map(|name| Zone::parse(name).ok())
    }

    /// Every zone name, sorted.
    pub fn names() -> Vec<String> {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|name| name.as_str().to_string())
            .filter(|name| !name.starts_with("posix/") && !name.starts_with("right/"))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn civil(&self, unix_ms: i64) -> Option<DateTime> {
        Some(
            Timestamp::from_millisecond(unix_ms)
                .ok()?
                .to_zoned(self.tz.clone())
                .datetime(),
        )
    }

    /// `2026-11-28 10:15:00` in this zone.
    pub fn format_ms(&self, unix_ms: i64) -> String {
        self.civil(unix_ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_default()
    }

    /// `2026-11-28`: the day of `unix_ms` in this zone.
    pub fn format_date(&self, unix_ms: i64) -> String {
        self.civil(unix_ms)
            .map(|t| t.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// Unix seconds as `2026-11-28 10:15:00` in this zone.
    pub fn format_seconds(&self, unix_seconds: i64) -> String {
        self.format_ms(unix_seconds.saturating_mul(1000))
    }

    /// Unix seconds as `2026-11-28 10:15` in this zone.
    pub fn format_minutes(&self, unix_seconds: i64) -> String {
        let text = self.format_seconds(unix_seconds);
        text.get(..16).unwrap_or(&text).to_string()
    }

    /// The weekday (0 Monday … 6 Sunday) and hour of `unix_ms` here.
    pub fn weekday_hour(&self, unix_ms: i64) -> Option<(usize, usize)> {
        let t = self.civil(unix_ms)?;
        let weekday = t.weekday().to_monday_zero_offset();
        Some((
            usize::try_from(weekday).ok()?,
            usize::try_from(t.hour()).ok()?,
        ))
    }

    /// The start of the day (local midnight, or the first moment of a day
    /// whose midnight the clocks skip) that holds `unix_ms`.
    pub fn start_of_day(&self, unix_ms: i64) -> Option<i64> {
        self.parse_local(&format!("{}T00:00", self.format_date(unix_ms)))
    }

    /// The calendar day of `unix_ms` here.
    pub fn date_of(&self, unix_ms: i64) -> Option<Date> {
        Some(self.civil(unix_ms)?.date())
    }

    /// The first moment of `date` here (midnight, or the first moment of a
    /// day whose midnight the clocks skip), in Unix milliseconds.
    pub fn day_starts_ms(&self, date: Date) -> Option<i64> {
        Some(
            date.to_zoned(self.tz.clone())
                .ok()?
                .start_of_day()
                .ok()?
                .timestamp()
                .as_millisecond(),
        )
    }

    /// `2026-11-28T10:15`, the value of a datetime-local field.
    pub fn input_value(&self, unix_ms: i64) -> String {
        self.civil(unix_ms)
            .map(|t| t.strftime("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    }

    /// The same wall-clock time `days` calendar days after `unix_seconds`
    /// in this zone (a day the clocks change is 23 or 25 hours long), as
    /// Unix seconds.
    pub fn days_later(&self, unix_seconds: i64, days: i64) -> i64 {
        self.later_ms(
            unix_seconds.saturating_mul(1000),
            jiff::Span::new().days(days),
        )
        .map_or(unix_seconds + days * 86_400, |ms| ms.div_euclid(1000))
    }

    /// The same wall-clock time `months` calendar months after `unix_ms`
    /// (negative: before) in this zone, as Unix milliseconds; the 31st
    /// becomes the month's last day. `None` beyond the calendar's range.
    pub fn months_later_ms(&self, unix_ms: i64, months: i64) -> Option<i64> {
        self.later_ms(unix_ms, jiff::Span::new().try_months(months).ok()?)
    }

    /// [`Zone::days_later`] in milliseconds, `None` beyond the calendar.
    pub fn days_later_ms(&self, unix_ms: i64, days: i64) -> Option<i64> {
        self.later_ms(unix_ms, jiff::Span::new().try_days(days).ok()?)
    }

    fn later_ms(&self, unix_ms: i64, span: jiff::Span) -> Option<i64> {
        let zoned = Timestamp::from_millisecond(unix_ms)
            .ok()?
            .to_zoned(self.tz.clone());
        Some(zoned.checked_add(span).ok()?.timestamp().as_millisecond())
    }

    /// A datetime-local value (`2026-11-28T10:15`, seconds optional) in
    /// this zone, as Unix milliseconds. A time the clocks skip (spring
    /// forward) moves forward by the gap; a time that happens twice
    /// (autumn) is the first of the two.
    pub fn parse_local(&self, input: &str) -> Option<i64> {
        let civil: DateTime = input.trim().parse().ok()?;
        let zoned = self
            .tz
            .to_ambiguous_zoned(civil)
            .disambiguate(Disambiguation::Compatible)
            .ok()?;
        Some(zoned.timestamp().as_millisecond())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_later_keep_the_wall_clock_across_clock_changes() {
        let london = Zone::parse("Europe/London").unwrap();
        let sydney = Zone::parse("Australia/Sydney").unwrap();
        // 2026-03-25 12:00 UTC: London's clocks go forward on the 29th.
        let at = 1_774_440_000;
        assert_eq!(london.format_minutes(at), "2026-03-25 12:00");
        let later = london.days_later(at, 7);
        assert_eq!(london.format_minutes(later), "2026-04-01 12:00");
        assert_eq!(later - at, 7 * 86_400 - 3_600, "a 23-hour day inside");
        assert_eq!(Zone::utc().days_later(at, 7) - at, 7 * 86_400);
        // Sydney's clocks go back on 2026-04-05: a 25-hour day.
        let later = sydney.days_later(at, 14);
        assert_eq!(
            sydney.format_minutes(later),
            sydney
                .format_minutes(at)
                .replace("2026-03-25", "2026-04-08")
        );
        assert_eq!(later - at, 14 * 86_400 + 3_600);
        assert_eq!(london.days_later(at, 0), at);
    }

    const MS: i64 = 1000;

    #[test]
    fn names_are_the_iana_ones_in_any_case() {
        assert_eq!(
            Zone::parse("europe/london").unwrap().name(),
            "Europe/London"
        );
        assert_eq!(Zone::parse(" UTC ").unwrap(), Zone::utc());
        for bad in ["", "Mars/Olympus", "Europe/London/x", "../../etc/passwd"] {
            assert!(Zone::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Zone::names().len() > 300);
    }

    #[test]
    fn times_show_in_the_zone_across_daylight_saving() {
        let london = Zone::parse("Europe/London").unwrap();
        // 2026-07-01 12:00 UTC is 13:00 BST; 2026-12-01 12:00 UTC is 12:00 GMT.
        assert_eq!(london.format_ms(1_782_907_200 * MS), "2026-07-01 13:00:00");
        assert_eq!(london.format_ms(1_796_126_400 * MS), "2026-12-01 12:00:00");
        assert_eq!(
            Zone::utc().format_ms(1_796_126_400 * MS),
            "2026-12-01 12:00:00"
        );
    }

    /// 2026-10-25 01:30 happens twice in London (BST, then GMT): the first.
    /// 2026-03-29 01:30 never happens (01:00 → 02:00): moved forward.
    #[test]
    fn the_repeated_and_the_skipped_hour() {
        let london = Zone::parse("Europe/London").unwrap();
        let first = london.parse_local("2026-10-25T01:30").unwrap();
        assert_eq!(
            Zone::utc().format_ms(first),
            "2026-10-25 00:30:00",
            "01:30 BST"
        );
        assert_eq!(
            london.format_ms(first + 3600 * MS),
            "2026-10-25 01:30:00",
            "and an hour later, 01:30 GMT"
        );
        let skipped = london.parse_local("2026-03-29T01:30").unwrap();
        assert_eq!(
            Zone::utc().format_ms(skipped),
            "2026-03-29 01:30:00",
            "02:30 BST"
        );
        assert_eq!(london.format_ms(skipped), "2026-03-29 02:30:00");
        assert_eq!(london.input_value(first), "2026-10-25T01:30");
        for bad in ["", "2026-13-01T00:00", "yesterday", "2026-10-25T25:00"] {
            assert_eq!(london.parse_local(bad), None, "{bad:?}");
        }
    }
}
