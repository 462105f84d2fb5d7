//! How long a company keeps its recordings (Company settings → Retention),
//! and when a recording's time is up. Periods in months and years count
//! calendar months in the company's time zone, so "3 months" from 31 May
//! ends on 31 August at the same wall-clock time, whatever the clocks did.

use crate::zone::Zone;
use crate::ValidationError;
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

    /// When a recording that started at `started_ms` is due for deletion,
    /// in `zone`; `None` when it is kept forever.
    pub fn deletes_at(self, zone: &Zone, started_ms: i64) -> Option<i64> {
        match self {
            Retention::Forever => None,
            Retention::Months(n) => zone.months_later_ms(started_ms, i64::from(n)),
            Retention::Days(n) => zone.days_later_ms(started_ms, i64::from(n)),
        }
        .or(Some(i64::MAX).filter(|_| self != Retention::Forever))
    }

    /// At `now_ms`, recordings that started before this are due: `None`
    /// when nothing ever is.
    pub fn cutoff(self, zone: &Zone, now_ms: i64) -> Option<i64> {
        match self {
            Retention::Forever => None,
            Retention::Months(n) => zone.months_later_ms(now_ms, -i64::from(n)),
            Retention::Days(n) => zone.days_later_ms(now_ms, -i64::from(n)),
        }
        // Beyond the calendar (a hundred years before year -9999): nothing.
        .or(Some(i64::MIN).filter(|_| self != Retention::Forever))
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
        // 2026-05-31 09:00 BST.
        let started = london.parse_local("2026-05-31T09:00").unwrap();
        let due = Retention::Months(3).deletes_at(&london, started).unwrap();
        assert_eq!(london.format_ms(due), "2026-08-31 09:00:00");
        // 2026-08-31 09:00 + 3 months = 30 November (the month's last day), in GMT.
        let due = Retention::Months(3).deletes_at(&london, due).unwrap();
        assert_eq!(london.format_ms(due), "2026-11-30 09:00:00");
        // The cutoff is the other way round: due exactly at the cutoff.
        let now = london.parse_local("2026-11-30T09:00").unwrap();
        let cutoff = Retention::Months(6).cutoff(&london, now).unwrap();
        assert_eq!(london.format_ms(cutoff), "2026-05-30 09:00:00");
        let days =
            Retention::Days(1).cutoff(&london, london.parse_local("2026-10-25T12:00").unwrap());
        assert_eq!(
            london.format_ms(days.unwrap()),
            "2026-10-24 12:00:00",
            "a 25-hour day"
        );
        assert_eq!(Retention::Forever.cutoff(&london, now), None);
        assert_eq!(Retention::Forever.deletes_at(&london, now), None);
        assert_eq!(
            Retention::Days(MAX_DAYS).cutoff(&Zone::utc(), i64::MIN / 2),
            Some(i64::MIN)
        );
    }
}
