//! How long a company keeps its recordings (Company settings → Retention),
//! and when a recording's time is up. Periods in months and years count
//! calendar months in the company's time zone, so "3 months" from 31 May
//! ends on 31 August at the same wall-clock time, whatever the clocks did.

use crate::zone::Zone;
use crate::ValidationError;
use jiff::civil::Date;
use jiff::Span;
use std::fmt;

/// The most days a company may choose: 100 years.
pub const MAX_DAYS: u32 = 36_500;

/// A company's retention period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// Recordings are never deleted by the purge job (the default for
    /// companies that existed before retention).
    Forever,
    /// Calendar months (7 years is 84 months).
    Months(u32),
    /// Calendar days, 1 to [`MAX_DAYS`].
    Days(u32),
}

/// The Retention dropdown: its options' values and labels, in order. `days`
/// takes the number typed beside it.
pub const CHOICES: [(&str, &str); 6] = [
    ("3m", "3 months"),
    ("6m", "6 months"),
    ("12m", "12 months"),
    ("84m", "7 years"),
    ("days", "A number of days"),
    ("forever", "Keep forever"),
];

impl Retention {
    /// The stable code stored in the database: `forever`, `3m`, `90d`.
    pub fn code(self) -> String {
        match self {
            Retention::Forever => "forever".into(),
            Retention::Months(n) => format!("{n}m"),
            Retention::Days(n) => format!("{n}d"),
        }
    }

    /// A stored code; `None` for anything [`Retention::code`] cannot make.
    pub fn from_code(code: &str) -> Option<Retention> {
        if code == "forever" {
            return Some(Retention::Forever);
        }
        if !code.is_ascii() {
            return None;
        }
        let (number, unit) = code.split_at(code.len().checked_sub(1)?);
        let n: u32 = number.parse().ok().filter(|n| (1..=MAX_DAYS).contains(n))?;
        if number.starts_with('0') || number.starts_with('+') {
            return None;
        }
        match unit {
            "m" if n <= MAX_DAYS / 30 => Some(Retention::Months(n)),
            "d" => Some(Retention::Days(n)),
            _ => None,
        }
    }

    /// The form: the dropdown's value and, for "A number of days", the
    /// number typed.
    pub fn from_form(choice: &str, days: &str) -> Result<Retention, ValidationError> {
        match choice {
            "days" => days
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_DAYS).contains(n))
                .map(Retention::Days)
                .ok_or_else(|| {
                    ValidationError::new(
                        "retention_days",
                        format!("Type a number of days from 1 to {MAX_DAYS}."),
                    )
                }),
            // A listed period, or one an operator set that the list lacks
            // (shown as an extra option with its code as the value).
            choice => Retention::from_code(choice).ok_or_else(|| {
                ValidationError::new("retention", "Choose a retention period from the list.")
            }),
        }
    }

    /// A setting as an operator writes it (`CALLREC_DEFAULT_RETENTION`):
    /// `forever`, `90 days`, `6 months`, `7 years`, or the stored codes
    /// (`90d`, `6m`).
    pub fn parse_setting(text: &str) -> Result<Retention, ValidationError> {
        let refused = || {
            ValidationError::new(
                "retention",
                format!(
                    "\"{}\" is not a retention period: use forever, a number of days (90 days), months (6 months) or years (7 years)",
                    text.trim()
                ),
            )
        };
        let text = text.trim().to_ascii_lowercase();
        if let Some(retention) = Retention::from_code(&text) {
            return Ok(retention);
        }
        let (number, unit) = text.split_once(' ').ok_or_else(refused)?;
        let n: u32 = number.parse().map_err(|_| refused())?;
        let code = match unit.trim() {
            "day" | "days" => format!("{n}d"),
            "month" | "months" => format!("{n}m"),
            "year" | "years" => format!("{}m", n.checked_mul(12).ok_or_else(refused)?),
            _ => return Err(refused()),
        };
        Retention::from_code(&code).ok_or_else(refused)
    }

    /// The dropdown value this period shows as: a listed one, `days`, or
    /// its own code when an operator set a period the list lacks.
    pub fn choice(self) -> String {
        match self {
            Retention::Days(_) => "days".into(),
            other => other.code(),
        }
    }

    /// Whether the dropdown lists this period itself.
    pub fn is_listed(self) -> bool {
        let choice = self.choice();
        CHOICES.iter().any(|(value, _)| *value == choice)
    }

    /// The days box's value (only for a number of days).
    pub fn days(self) -> Option<u32> {
        match self {
            Retention::Days(n) => Some(n),
            _ => None,
        }
    }

    /// The last day a recording made on `day` is kept: the same day
    /// `n` months later (the month's last day when it has no such day,
    /// so "3 months" from 31 August ends on 30 November), or `n` days
    /// later. `None` beyond the calendar.
    fn last_day(self, day: Date) -> Option<Date> {
        match self {
            Retention::Forever => None,
            Retention::Months(n) => day.checked_add(Span::new().try_months(n).ok()?).ok(),
            Retention::Days(n) => day.checked_add(Span::new().try_days(n).ok()?).ok(),
        }
    }

    /// When a recording that started at `started_ms` is due for deletion,
    /// in `zone`: the first moment after its last day (a recording is kept
    /// for at least its period, through the whole of its last day, and the
    /// purge takes it at exactly this moment). `None` when kept forever.
    pub fn deletes_at(self, zone: &Zone, started_ms: i64) -> Option<i64> {
        if self == Retention::Forever {
            return None;
        }
        let after = zone
            .date_of(started_ms)
            .and_then(|day| self.last_day(day))
            .and_then(|last| last.tomorrow().ok())
            .and_then(|day| zone.day_starts_ms(day));
        Some(after.unwrap_or(i64::MAX))
    }

    /// At `now_ms`, recordings that started before this are due: `None`
    /// when nothing ever is. The exact inverse of [`Retention::deletes_at`]:
    /// a recording is due at `now_ms` if and only if it started before the
    /// cutoff (its days' last days rise with its day, so the first day
    /// whose last day is not yet over is where due ends).
    pub fn cutoff(self, zone: &Zone, now_ms: i64) -> Option<i64> {
        if self == Retention::Forever {
            return None;
        }
        let first_kept = || {
            let today = zone.date_of(now_ms)?;
            let back = match self {
                Retention::Months(n) => Span::new().try_months(-i64::from(n)).ok()?,
                _ => Span::new().try_days(-i64::from(self.days()?)).ok()?,
            };
            // A clamped month (31 May less 3 months is 28 February) ends
            // too early: step on to the first day whose period is not over.
            let mut day = today.checked_add(back).ok()?;
            while self.last_day(day)? < today {
                day = day.tomorrow().ok()?;
            }
            zone.day_starts_ms(day)
        };
        // Beyond the calendar (a hundred years before year -9999): nothing.
        Some(first_kept().unwrap_or(i64::MIN))
    }
}

/// A shorter period chosen under Company settings, waiting out the notice
/// period: the purge keeps using the period in force until `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingRetention {
    pub period: Retention,
    /// When it takes effect (Unix seconds).
    pub from: i64,
}

/// What a company keeps: the period in force, and a shorter one waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionRule {
    pub current: Retention,
    pub pending: Option<PendingRetention>,
}

/// How a new period compares with the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionChange {
    Unchanged,
    /// Keeps every recording at least as long: takes effect at once.
    Longer,
    /// May delete something sooner: needs Access to Delete Recordings,
    /// "Confirm it's you" and waits out the notice period.
    Shorter,
}

impl Retention {
    /// The fewest and most days the period can last (a month is 28–31).
    fn day_bounds(self) -> (u64, u64) {
        match self {
            Retention::Forever => (u64::MAX, u64::MAX),
            Retention::Months(n) => (28 * u64::from(n), 31 * u64::from(n)),
            Retention::Days(n) => (u64::from(n), u64::from(n)),
        }
    }

    /// `self` as a change from `old`: shorter whenever some recording
    /// could be deleted sooner (90 days after 3 months is shorter: a
    /// quarter can have 92 days).
    pub fn compared_with(self, old: Retention) -> RetentionChange {
        if self == old {
            RetentionChange::Unchanged
        } else if self.day_bounds().0 < old.day_bounds().1 {
            RetentionChange::Shorter
        } else {
            RetentionChange::Longer
        }
    }

    /// "Kept until": the last day a recording that started at `started_ms`
    /// is kept, as `2026-11-30` in `zone`.
    pub fn kept_until(self, zone: &Zone, started_ms: i64) -> Option<String> {
        RetentionRule::of(self).kept_until(zone, started_ms)
    }
}

impl RetentionRule {
    pub fn of(current: Retention) -> RetentionRule {
        RetentionRule {
            current,
            pending: None,
        }
    }

    /// The rule as it stands at `now` (Unix seconds): a pending period
    /// whose day has come is the period in force.
    pub fn at(self, now: i64) -> RetentionRule {
        match self.pending {
            Some(pending) if pending.from <= now => RetentionRule::of(pending.period),
            _ => self,
        }
    }

    /// The period the purge uses at `now` (Unix seconds).
    pub fn in_force(self, now: i64) -> Retention {
        self.at(now).current
    }

    /// Recordings that started before this are due at `now_ms`.
    pub fn cutoff(self, zone: &Zone, now_ms: i64) -> Option<i64> {
        self.in_force(now_ms.div_euclid(1000)).cutoff(zone, now_ms)
    }

    /// When the purge takes a recording that started at `started_ms`:
    /// by the period in force if that comes before the pending one's day,
    /// else by the pending period, but not before its day.
    pub fn deletes_at(self, zone: &Zone, started_ms: i64) -> Option<i64> {
        let old = self.current.deletes_at(zone, started_ms);
        let Some(pending) = self.pending else {
            return old;
        };
        let from_ms = pending.from.saturating_mul(1000);
        match old {
            Some(at) if at <= from_ms => Some(at),
            _ => pending
                .period
                .deletes_at(zone, started_ms)
                .map(|at| at.max(from_ms)),
        }
    }

    /// "Kept until": the day before the purge takes it, in `zone`.
    pub fn kept_until(self, zone: &Zone, started_ms: i64) -> Option<String> {
        self.deletes_at(zone, started_ms)
            .map(|at| zone.format_date(at.saturating_sub(1)))
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Retention::Forever => f.write_str("Keep forever"),
            Retention::Months(n) if n % 12 == 0 && n > 12 => write!(f, "{} years", n / 12),
            Retention::Months(1) => f.write_str("1 month"),
            Retention::Months(n) => write!(f, "{n} months"),
            Retention::Days(1) => f.write_str("1 day"),
            Retention::Days(n) => write!(f, "{n} days"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_refuse_the_rest() {
        for retention in [
            Retention::Forever,
            Retention::Months(3),
            Retention::Months(84),
            Retention::Days(1),
            Retention::Days(MAX_DAYS),
        ] {
            assert_eq!(Retention::from_code(&retention.code()), Some(retention));
        }
        for bad in [
            "",
            "m",
            "d",
            "0d",
            "-3m",
            "+3m",
            "03m",
            "36501d",
            "1217m",
            "3w",
            "3",
            "forever ",
            "Forever",
            "99999999999999999999d",
        ] {
            assert_eq!(Retention::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_form_and_the_setting() {
        assert_eq!(Retention::from_form("84m", ""), Ok(Retention::Months(84)));
        assert_eq!(
            Retention::from_form("days", " 45 "),
            Ok(Retention::Days(45))
        );
        assert_eq!(
            Retention::from_form("forever", "12"),
            Ok(Retention::Forever)
        );
        assert_eq!(
            Retention::from_form("5m", ""),
            Ok(Retention::Months(5)),
            "an operator's own period, kept"
        );
        for (choice, days) in [
            ("days", ""),
            ("days", "0"),
            ("days", "36501"),
            ("5w", ""),
            ("", ""),
        ] {
            assert!(
                Retention::from_form(choice, days).is_err(),
                "{choice:?} {days:?}"
            );
        }
        assert_eq!(
            Retention::parse_setting("7 years"),
            Ok(Retention::Months(84))
        );
        assert_eq!(
            Retention::parse_setting(" 90 Days"),
            Ok(Retention::Days(90))
        );
        assert_eq!(Retention::parse_setting("6m"), Ok(Retention::Months(6)));
        assert_eq!(Retention::parse_setting("forever"), Ok(Retention::Forever));
        let error = Retention::parse_setting("a while").unwrap_err();
        assert!(
            error.message.contains("forever, a number of days"),
            "{error}"
        );
        assert!(Retention::parse_setting("999999999 years").is_err());
        assert!(Retention::parse_setting("3é").is_err() && Retention::from_form("é", "").is_err());
        assert_eq!(Retention::Months(84).to_string(), "7 years");
        assert_eq!(Retention::Months(12).to_string(), "12 months");
        assert_eq!(Retention::Months(84).choice(), "84m");
        assert_eq!(Retention::Days(30).choice(), "days");
        assert!(Retention::Days(30).is_listed() && Retention::Forever.is_listed());
        assert_eq!(Retention::Months(5).choice(), "5m");
        assert!(!Retention::Months(5).is_listed());
    }

    #[test]
    fn months_count_in_the_company_zone() {
        let london = Zone::parse("Europe/London").unwrap();
        // 2026-05-31 09:00 BST: kept through 31 August, gone at midnight.
        let started = london.parse_local("2026-05-31T09:00").unwrap();
        let due = Retention::Months(3).deletes_at(&london, started).unwrap();
        assert_eq!(london.format_ms(due), "2026-09-01 00:00:00");
        assert_eq!(
            Retention::Months(3).kept_until(&london, started).as_deref(),
            Some("2026-08-31")
        );
        // 31 August + 3 months = 30 November (the month's last day), in GMT.
        let started = london.parse_local("2026-08-31T09:00").unwrap();
        let due = Retention::Months(3).deletes_at(&london, started).unwrap();
        assert_eq!(london.format_ms(due), "2026-12-01 00:00:00");
        // The cutoff is the other way round: on 30 November the call of 31
        // August is still kept (review: it used to show 30 November and be
        // purged on 1 December).
        let now = london.parse_local("2026-11-30T23:59").unwrap();
        let cutoff = Retention::Months(3).cutoff(&london, now).unwrap();
        assert!(started >= cutoff, "{}", london.format_ms(cutoff));
        let now = london.parse_local("2026-12-01T00:00").unwrap();
        let cutoff = Retention::Months(3).cutoff(&london, now).unwrap();
        assert_eq!(london.format_ms(cutoff), "2026-09-01 00:00:00");
        // 31 May less 3 months clamps to 28 February, whose period ends on
        // 28 May: on 31 May everything of February is due, 1 March is not.
        let now = london.parse_local("2027-05-31T12:00").unwrap();
        let cutoff = Retention::Months(3).cutoff(&london, now).unwrap();
        assert_eq!(london.format_ms(cutoff), "2027-03-01 00:00:00");
        let days =
            Retention::Days(1).cutoff(&london, london.parse_local("2026-10-25T12:00").unwrap());
        assert_eq!(
            london.format_ms(days.unwrap()),
            "2026-10-24 00:00:00",
            "a 25-hour day"
        );
        assert_eq!(Retention::Forever.cutoff(&london, now), None);
        assert_eq!(Retention::Forever.deletes_at(&london, now), None);
        assert_eq!(
            Retention::Days(MAX_DAYS).cutoff(&Zone::utc(), i64::MIN / 2),
            Some(i64::MIN)
        );
    }

    /// A small deterministic generator (no dependency for one test).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below
        }
    }

    /// The purge takes a call exactly when Kept until says: due at the
    /// moment `deletes_at` names and not a millisecond before, for calls
    /// and periods all over the calendar and across clock changes.
    #[test]
    fn the_purge_takes_a_call_exactly_when_kept_until_says() {
        let zones = [
            "UTC",
            "Europe/London",
            "America/New_York",
            "Australia/Lord_Howe",
            "Asia/Kolkata",
            "Pacific/Chatham",
            "America/Santiago",
        ];
        let periods = [
            Retention::Days(1),
            Retention::Days(30),
            Retention::Days(90),
            Retention::Months(1),
            Retention::Months(3),
            Retention::Months(6),
            Retention::Months(84),
        ];
        let mut random = Lcg(17);
        // 2024-01-01 .. 2028-01-01, at any millisecond.
        let (from, span) = (1_704_067_200_000_i64, 4 * 365 * 86_400_000_u64);
        let mut checked = 0;
        for zone in zones {
            let zone = Zone::parse(zone).unwrap();
            for _ in 0..400 {
                let period = periods[random.next(periods.len() as u64) as usize];
                let started = from + random.next(span) as i64;
                let due = period.deletes_at(&zone, started).unwrap();
                let kept_until = period.kept_until(&zone, started).unwrap();
                assert_eq!(zone.format_date(due - 1), kept_until);
                assert!(
                    started < period.cutoff(&zone, due).unwrap(),
                    "{period} {} due {}",
                    zone.format_ms(started),
                    zone.format_ms(due)
                );
                assert!(
                    started >= period.cutoff(&zone, due - 1).unwrap(),
                    "{period} {} purged before {}",
                    zone.format_ms(started),
                    zone.format_ms(due)
                );
                // And a call of any other time is due at `due` exactly when
                // its own Kept until is over.
                let other = from + random.next(span) as i64;
                let other_due = period.deletes_at(&zone, other).unwrap();
                assert_eq!(
                    other < period.cutoff(&zone, due).unwrap(),
                    other_due <= due,
                    "{period} {} at {}",
                    zone.format_ms(other),
                    zone.format_ms(due)
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 2800);
    }

    #[test]
    fn a_shorter_period_waits_for_its_day() {
        let utc = Zone::utc();
        let now = utc.parse_local("2026-12-01T10:00").unwrap() / 1000;
        let from = now + 7 * 86_400;
        let rule = RetentionRule {
            current: Retention::Months(84),
            pending: Some(PendingRetention {
                period: Retention::Days(1),
                from,
            }),
        };
        assert_eq!(rule.in_force(now), Retention::Months(84));
        assert_eq!(rule.in_force(from - 1), Retention::Months(84));
        assert_eq!(rule.in_force(from), Retention::Days(1));
        let old_call = utc.parse_local("2020-01-01T10:00").unwrap();
        // Due under the new period long ago, but not before its day.
        assert_eq!(rule.deletes_at(&utc, old_call), Some(from * 1000));
        assert!(old_call >= rule.cutoff(&utc, from * 1000 - 1).unwrap());
        assert!(old_call < rule.cutoff(&utc, from * 1000).unwrap());
        let ancient = utc.parse_local("2010-01-01T10:00").unwrap();
        assert_eq!(
            rule.deletes_at(&utc, ancient),
            Retention::Months(84).deletes_at(&utc, ancient),
            "already due under the period in force"
        );
        assert_eq!(
            Retention::Days(1).compared_with(Retention::Months(84)),
            RetentionChange::Shorter
        );
        assert_eq!(
            Retention::Days(90).compared_with(Retention::Months(3)),
            RetentionChange::Shorter
        );
        assert_eq!(
            Retention::Months(6).compared_with(Retention::Months(3)),
            RetentionChange::Longer
        );
        assert_eq!(
            Retention::Forever.compared_with(Retention::Days(1)),
            RetentionChange::Longer
        );
        assert_eq!(
            Retention::Days(3).compared_with(Retention::Days(3)),
            RetentionChange::Unchanged
        );
        assert_eq!(
            Retention::Months(12).compared_with(Retention::Forever),
            RetentionChange::Shorter
        );
    }
}
