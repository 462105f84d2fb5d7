//! The date presets of Recordings and Home: Today, Yesterday, Last 7 days,
//! Last 30 days, in the viewer's zone (a day the clocks change is 23 or 25
//! hours long), and the period before each, to compare with.

use crate::zone::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// No limit on when the call started.
    AnyTime,
    Today,
    Yesterday,
    Last7Days,
    Last30Days,
    /// The two date-time fields.
    Custom,
}

/// The first and last millisecond of a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
}

impl Span {
    /// The span of the same length just before this one.
    pub fn before(self) -> Span {
        let length = self.end_ms - self.start_ms + 1;
        Span {
            start_ms: self.start_ms - length,
            end_ms: self.start_ms - 1,
        }
    }
}

impl Period {
    pub const ALL: [Period; 6] = [
        Period::AnyTime,
        Period::Today,
        Period::Yesterday,
        Period::Last7Days,
        Period::Last30Days,
        Period::Custom,
    ];

    /// The value in a URL (`period=yesterday`); the empty value is Any time.
    pub fn code(self) -> &'static str {
        match self {
            Period::AnyTime => "",
            Period::Today => "today",
            Period::Yesterday => "yesterday",
            Period::Last7Days => "7d",
            Period::Last30Days => "30d",
            Period::Custom => "custom",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::AnyTime => "Any time",
            Period::Today => "Today",
            Period::Yesterday => "Yesterday",
            Period::Last7Days => "Last 7 days",
            Period::Last30Days => "Last 30 days",
            Period::Custom => "Custom",
        }
    }

    pub fn parse(code: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.code() == code.trim())
    }

    /// Whole days the period covers, ending today (Yesterday: one day
    /// ending yesterday).
    fn days(self) -> Option<(i64, i64)> {
        match self {
            Period::Today => Some((0, 1)),
            Period::Yesterday => Some((-1, 1)),
            Period::Last7Days => Some((-6, 7)),
            Period::Last30Days => Some((-29, 30)),
            Period::AnyTime | Period::Custom => None,
        }
    }

    /// The calendar days it covers in `zone` at `now_ms`: from the start of
    /// its first day to the end of its last. `None` for Any time and
    /// Custom (their limits are the fields').
    pub fn span(self, zone: &Zone, now_ms: i64) -> Option<Span> {
        let (first, days) = self.days()?;
        let today = zone.start_of_day(now_ms)?;
        let start_ms = zone.days_later_ms(today, first)?;
        let end_ms = zone.days_later_ms(start_ms, days)? - 1;
        Some(Span { start_ms, end_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_calendar_days_in_the_zone() {
        let london = Zone::parse("Europe/London").unwrap();
        // 2026-03-30 10:00 BST, the day after the clocks went forward.
        let now = london.parse_local("2026-03-30T10:00").unwrap();
        let today = Period::Today.span(&london, now).unwrap();
        assert_eq!(london.input_value(today.start_ms), "2026-03-30T00:00");
        assert_eq!(today.end_ms - today.start_ms + 1, 86_400_000);
        let yesterday = Period::Yesterday.span(&london, now).unwrap();
        assert_eq!(london.input_value(yesterday.start_ms), "2026-03-29T00:00");
        assert_eq!(yesterday.end_ms + 1, today.start_ms);
        assert_eq!(
            yesterday.end_ms - yesterday.start_ms + 1,
            23 * 3_600_000,
            "23 hours"
        );
        let week = Period::Last7Days.span(&london, now).unwrap();
        assert_eq!(london.input_value(week.start_ms), "2026-03-24T00:00");
        assert_eq!(week.end_ms, today.end_ms);
        let month = Period::Last30Days.span(&london, now).unwrap();
        assert_eq!(london.input_value(month.start_ms), "2026-03-01T00:00");
        assert_eq!(Period::AnyTime.span(&london, now), None);
        assert_eq!(Period::Custom.span(&london, now), None);
        let before = today.before();
        assert_eq!(
            (before.end_ms + 1, before.end_ms - before.start_ms),
            (today.start_ms, today.end_ms - today.start_ms)
        );
    }

    #[test]
    fn codes_round_trip() {
        for period in Period::ALL {
            assert_eq!(Period::parse(period.code()), Some(period));
        }
        assert_eq!(Period::parse("fortnight"), None);
    }
}
