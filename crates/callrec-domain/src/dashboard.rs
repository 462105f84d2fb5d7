//! The home dashboard's figures from calls counted per quarter hour: days
//! and hours in the viewer's zone. Every zone's offset is a whole number of
//! quarter hours, so each bucket falls in exactly one local day and hour.

use crate::zone::Zone;

/// A bucket's length.
pub const QUARTER_MS: i64 = 900_000;

/// Calls that started in one quarter hour (`started_at / QUARTER_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QuarterCount {
    pub quarter: i64,
    pub inbound: i64,
    pub outbound: i64,
    pub internal: i64,
    pub duration_ms: i64,
}

impl QuarterCount {
    pub fn calls(&self) -> i64 {
        self.inbound + self.outbound + self.internal
    }
}

/// One local day of the window, and its calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// `2026-11-28`.
    pub date: String,
    pub start_ms: i64,
    /// The next day's start.
    pub end_ms: i64,
    pub inbound: i64,
    pub outbound: i64,
    pub internal: i64,
}

impl Day {
    pub fn calls(&self) -> i64 {
        self.inbound + self.outbound + self.internal
    }
}

/// The last `days` local days up to now, oldest first, with no calls yet.
pub fn days_up_to(zone: &Zone, now_ms: i64, days: i64) -> Vec<Day> {
    let today = zone.start_of_day(now_ms).unwrap_or(now_ms);
    (0..days)
        .rev()
        .filter_map(|back| {
            let start = zone.days_later_ms(today, -back)?;
            let end = zone.days_later_ms(today, 1 - back)?;
            Some(Day {
                date: zone.format_date(start),
                start_ms: start,
                end_ms: end,
                inbound: 0,
                outbound: 0,
                internal: 0,
            })
        })
        .collect()
}

/// The window's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub days: Vec<Day>,
    /// Calls by weekday (Monday first) and hour, in the zone.
    pub heat: [[i64; 24]; 7],
    pub calls: i64,
    pub minutes: i64,
}

/// Adds `counts` (any order) into `days`' window.
pub fn summarise(zone: &Zone, mut days: Vec<Day>, counts: &[QuarterCount]) -> Summary {
    let mut heat = [[0i64; 24]; 7];
    let (mut calls, mut duration_ms) = (0, 0);
    for count in counts {
        let at = count.quarter * QUARTER_MS;
        let Some(day) = days.iter_mut().find(|d| d.start_ms <= at && at < d.end_ms) else {
            continue;
        };
        day.inbound += count.inbound;
        day.outbound += count.outbound;
        day.internal += count.internal;
        if let Some((weekday, hour)) = zone.weekday_hour(at) {
            heat[weekday][hour] += count.calls();
        }
        calls += count.calls();
        duration_ms += count.duration_ms;
    }
    Summary {
        days,
        heat,
        calls,
        minutes: (duration_ms + 30_000) / 60_000,
    }
}

/// How a figure moved against the period before: `+25 %`, `−10 %`,
/// `no change`, or `none before` when the period before had none.
pub fn change_text(now: i64, before: i64) -> String {
    if before == 0 {
        return if now == 0 {
            "no change".into()
        } else {
            "none before".into()
        };
    }
    let percent = ((now - before) as f64 * 100.0 / before as f64).round() as i64;
    match percent {
        0 => "no change".into(),
        p if p > 0 => format!("+{} %", grouped(p)),
        p => format!("−{} %", grouped(-p)),
    }
}

/// A count with thousands separators: `12,345`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Minutes as hours and minutes: `205:45` (h:mm).
pub fn hours_minutes(minutes: i64) -> String {
    format!("{}:{:02}", grouped(minutes / 60), minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(at_ms: i64, inbound: i64) -> QuarterCount {
        QuarterCount {
            quarter: at_ms / QUARTER_MS,
            inbound,
            duration_ms: inbound * 90_000,
            ..QuarterCount::default()
        }
    }

    #[test]
    fn days_and_hours_are_the_viewers_even_half_an_hour_off_utc() {
        let kolkata = Zone::parse("Asia/Kolkata").unwrap(); // UTC+5:30
        let now = 1_764_322_200_000; // 2025-11-28 09:30 UTC = 15:00 in Kolkata
        let days = days_up_to(&kolkata, now, 30);
        assert_eq!(days.len(), 30);
        assert_eq!(days[29].date, "2025-11-28");
        assert_eq!(days[0].date, "2025-10-30");
        // 18:45 UTC on the 27th is 00:15 on the 28th in Kolkata.
        let late = 1_764_269_100_000;
        let summary = summarise(
            &kolkata,
            days,
            &[
                count(late, 2),
                count(now, 1),
                count(now - 40 * 86_400_000, 5),
            ],
        );
        assert_eq!(summary.days[29].inbound, 3, "both on the 28th there");
        assert_eq!(summary.days[28].calls(), 0);
        assert_eq!(summary.calls, 3, "a call before the window is not counted");
        assert_eq!(summary.minutes, 5, "4.5 minutes round to 5");
        assert_eq!(
            (
                grouped(0),
                grouped(999),
                grouped(1_000),
                grouped(-1_234_567)
            ),
            (
                "0".into(),
                "999".into(),
                "1,000".into(),
                "-1,234,567".into()
            )
        );
        assert_eq!(
            (hours_minutes(5), hours_minutes(12_345)),
            ("0:05".into(), "205:45".into())
        );
        let changes = [
            change_text(5, 4),
            change_text(3, 4),
            change_text(4, 4),
            change_text(2, 0),
            change_text(0, 0),
        ];
        assert_eq!(
            changes,
            ["+25 %", "−25 %", "no change", "none before", "no change"].map(String::from)
        );
        assert_eq!(summary.heat[4][0], 2, "Friday 00:00 hour");
        assert_eq!(summary.heat[4][15], 1, "Friday 15:00 hour");
    }

    #[test]
    fn a_day_the_clocks_change_is_23_or_25_hours() {
        let london = Zone::parse("Europe/London").unwrap();
        let after = 1_761_710_400_000; // 2025-10-29 04:00 UTC
        let days = days_up_to(&london, after, 5);
        let change = days.iter().find(|d| d.date == "2025-10-26").unwrap();
        assert_eq!(change.end_ms - change.start_ms, 25 * 3_600_000);
    }
}
