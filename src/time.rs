//! Dates and durations as the product shows them: ISO 8601 timestamps in
//! logs, `HH:MM:SS` chronos, French dates in capitals on medals
//! ("14 JUILLET 2024").
//!
//! Calendar arithmetic is done in SQL where rows are involved; this module only
//! formats, so no date crate is linked into the CGI binary.

use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS_FR: [&str; 12] = [
    "JANVIER",
    "FÉVRIER",
    "MARS",
    "AVRIL",
    "MAI",
    "JUIN",
    "JUILLET",
    "AOÛT",
    "SEPTEMBRE",
    "OCTOBRE",
    "NOVEMBRE",
    "DÉCEMBRE",
];

/// Now as `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn now_iso_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    iso_utc(secs)
}

/// An epoch timestamp as `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn iso_utc(epoch_secs: u64) -> String {
    let days = i64::try_from(epoch_secs / 86_400).unwrap_or(0);
    let rem = epoch_secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (what [`iso_utc`] writes, and Strava's
/// `start_date`) into epoch seconds; `None` for anything else.
#[must_use]
pub fn parse_iso_utc(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let (date, clock) = s.split_once('T')?;
    if !is_calendar_date(date) {
        return None;
    }
    let secs = parse_hms(clock).filter(|_| clock.len() == 8 && clock < "24")?;
    let num = |r: std::ops::Range<usize>| date.get(r).and_then(|p| p.parse::<i64>().ok());
    let days = days_from_civil(num(0..4)?, num(5..7)?, num(8..10)?);
    Some(days * 86_400 + i64::try_from(secs).ok()?)
}

/// (year, month, day) to days since 1970-01-01: the inverse of
/// `civil_from_days` (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD` (years 1900 to
/// 9999), as query filters and manual entries take them.
#[must_use]
pub fn is_calendar_date(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let num = |range: std::ops::Range<usize>| {
        s.get(range)
            .filter(|digits| digits.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|digits| digits.parse::<u32>().ok())
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1900 && (1..=days).contains(&d)
}

/// Seconds as `HH:MM:SS` (hours may exceed 24 for very long efforts).
#[must_use]
pub fn hms(total_secs: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        total_secs / 3600,
        total_secs % 3600 / 60,
        total_secs % 60
    )
}

/// Parses `HH:MM:SS` (or `MM:SS`) into seconds.
#[must_use]
pub fn parse_hms(s: &str) -> Option<u64> {
    let parts: Vec<u64> = s
        .trim()
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match parts[..] {
        [h, m, s] if m < 60 && s < 60 => Some(h * 3600 + m * 60 + s),
        [m, s] if s < 60 => Some(m * 60 + s),
        _ => None,
    }
}

/// A `YYYY-MM-DD` date (a longer ISO timestamp is cut) as the French medal
/// date: `14 JUILLET 2024`.
#[must_use]
pub fn french_date_upper(iso: &str) -> Option<String> {
    let date = iso.get(..10)?;
    let mut it = date.split('-');
    let y: u32 = it.next()?.parse().ok()?;
    let m: usize = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    let month = MONTHS_FR.get(m.checked_sub(1)?)?;
    (1..=31).contains(&d).then(|| format!("{d} {month} {y}"))
}

/// A `YYYY-MM-DD` date as `14/07/2024`.
#[must_use]
pub fn french_date_short(iso: &str) -> Option<String> {
    let date = iso.get(..10)?;
    let mut it = date.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    Some(format!("{d}/{m}/{y}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_to_iso() {
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_720_951_200), "2024-07-14T10:00:00Z");
        assert_eq!(iso_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn durations() {
        assert_eq!(hms(16_337), "04:32:17");
        assert_eq!(hms(0), "00:00:00");
        assert_eq!(hms(90_061), "25:01:01");
        assert_eq!(parse_hms("04:32:17"), Some(16_337));
        assert_eq!(parse_hms("32:17"), Some(1_937));
        assert_eq!(parse_hms("1:75:00"), None);
        assert_eq!(parse_hms("abc"), None);
    }

    #[test]
    fn iso_timestamps_round_trip() {
        for secs in [0, 951_782_400, 1_720_915_199, 4_102_444_800] {
            assert_eq!(parse_iso_utc(&iso_utc(secs)), i64::try_from(secs).ok());
        }
        assert_eq!(parse_iso_utc("2024-07-02T00:00:01Z"), Some(1_719_878_401));
        assert_eq!(parse_iso_utc("2024-07-02T00:00:01"), None);
        assert_eq!(parse_iso_utc("2024-07-02T24:00:00Z"), None);
        assert_eq!(parse_iso_utc("2024-02-30T10:00:00Z"), None);
    }

    #[test]
    fn calendar_dates() {
        assert!(is_calendar_date("2024-07-14"));
        assert!(is_calendar_date("2024-02-29"));
        assert!(!is_calendar_date("2023-02-29"));
        assert!(!is_calendar_date("2024-13-01"));
        assert!(!is_calendar_date("2024-04-31"));
        assert!(!is_calendar_date("2024-7-14"));
        assert!(!is_calendar_date("14/07/2024"));
        assert!(!is_calendar_date("2024-07-1é"));
        assert!(!is_calendar_date("+024-07-14"));
        assert!(!is_calendar_date("1899-12-31"));
        assert!(!is_calendar_date("'; DROP--"));
    }

    #[test]
    fn french_dates() {
        assert_eq!(
            french_date_upper("2024-07-14").as_deref(),
            Some("14 JUILLET 2024")
        );
        assert_eq!(
            french_date_upper("2025-02-03T10:00:00").as_deref(),
            Some("3 FÉVRIER 2025")
        );
        assert_eq!(french_date_upper("2025-13-03"), None);
        assert_eq!(
            french_date_short("2024-07-14").as_deref(),
            Some("14/07/2024")
        );
    }
}
