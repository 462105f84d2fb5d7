//! Time as Unix seconds (UTC), passed in by callers, and its display.

/// Formats Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format_utc(unix_seconds: i64) -> String {
    format!("{} UTC", utc_with(unix_seconds, ' '))
}

/// Formats Unix seconds as RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(unix_seconds: i64) -> String {
    format!("{}Z", utc_with(unix_seconds, 'T'))
}

fn utc_with(unix_seconds: i64, between: char) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let second_of_day = unix_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}{between}{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Milliseconds as a clock reads them: `1:23`, `1:02:03` (a call's length,
/// or a moment in it).
pub fn clock_text(ms: i64) -> String {
    let seconds = ms.max(0) / 1000;
    if seconds >= 3600 {
        format!(
            "{}:{:02}:{:02}",
            seconds / 3600,
            seconds % 3600 / 60,
            seconds % 60
        )
    } else {
        format!("{}:{:02}", seconds / 60, seconds % 60)
    }
}

/// Formats Unix milliseconds as RFC 3339 in UTC, `2026-11-28T09:30:05.250Z`
/// (the API's times).
pub fn format_rfc3339_ms(unix_ms: i64) -> String {
    let seconds = unix_ms.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        unix_ms.rem_euclid(1000)
    )
}

/// An account is dormant when nobody has signed in to it for `days` (or,
/// never signed in, since it was made).
pub fn dormant(last_sign_in: Option<i64>, created_at: i64, now: i64, days: i64) -> bool {
    now.saturating_sub(last_sign_in.unwrap_or(created_at)) >= days.saturating_mul(86_400)
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days_since_epoch: i64) -> (i64, u32, u32) {
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Parses an RFC 3339 time (`2026-11-28T10:15:00Z`, with optional fraction
/// and offset) into Unix milliseconds.
pub fn parse_rfc3339(input: &str) -> Option<i64> {
    let s = input.trim().as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())?
    };
    if s.len() < 20
        || s[4] != b'-'
        || s[7] != b'-'
        || !matches!(s[10], b'T' | b't' | b' ')
        || s[13] != b':'
        || s[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut index = 19;
    let mut millis = 0;
    if s.get(index) == Some(&b'.') {
        let start = index + 1;
        index = start;
        while s.get(index).is_some_and(u8::is_ascii_digit) {
            index += 1;
        }
        if index == start {
            return None;
        }
        let digits = std::str::from_utf8(&s[start..index.min(start + 3)]).ok()?;
        millis = digits.parse::<i64>().ok()? * 10_i64.pow(3 - digits.len() as u32);
    }
    let offset_minutes = match s.get(index)? {
        b'Z' | b'z' if index + 1 == s.len() => 0,
        sign @ (b'+' | b'-') if index + 6 == s.len() && s[index + 3] == b':' => {
            let (h, m) = (num(index + 1..index + 3)?, num(index + 4..index + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's days-from-civil (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_texts() {
        assert_eq!(clock_text(83_999), "1:23");
        assert_eq!(clock_text(3_723_000), "1:02:03");
        assert_eq!(clock_text(-5), "0:00");
    }

    #[test]
    fn api_times_round_trip_through_rfc3339() {
        for ms in [0, 1_764_322_205_250, -1, 951_782_400_999] {
            let text = format_rfc3339_ms(ms);
            assert_eq!(parse_rfc3339(&text), Some(ms), "{text}");
        }
        assert_eq!(
            format_rfc3339_ms(1_764_322_205_250),
            "2025-11-28T09:30:05.250Z"
        );
    }

    #[test]
    fn accounts_unused_for_the_days_are_dormant() {
        let day = 86_400;
        assert!(!dormant(Some(10 * day), 0, 39 * day, 30));
        assert!(dormant(Some(10 * day), 0, 40 * day, 30));
        assert!(
            dormant(None, 0, 30 * day, 30),
            "never signed in: since it was made"
        );
        assert!(!dormant(None, 5 * day, 30 * day, 30));
    }

    #[test]
    fn known_instants() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_111_111_111), "2005-03-18 01:58:31 UTC");
        assert_eq!(format_utc(1_798_761_599), "2026-12-31 23:59:59 UTC");
        assert_eq!(format_utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(format_rfc3339(1_111_111_111), "2005-03-18T01:58:31Z");
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2026-11-28T10:15:30Z"),
            Some(1_795_860_930_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-28T10:15:30.25Z"),
            Some(1_795_860_930_250)
        );
        assert_eq!(
            parse_rfc3339("2026-11-28T11:15:30+01:00"),
            Some(1_795_860_930_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-28T05:15:30-05:00"),
            Some(1_795_860_930_000)
        );
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
        for bad in [
            "",
            "2026-11-28",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T10:15:30",
            "2026-11-28T10:15:30+0100",
            "yesterday",
            "2026-11-28T10:15:30.Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }
}
