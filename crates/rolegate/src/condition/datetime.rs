//! Condition datetimes: Azure's `yyyy-mm-ddThh:mm:ss[.fffffff](Z|±hh:mm)` read into 100 ns ticks, and the
//! proleptic Gregorian calendar arithmetic that needs.

use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time, in 100-nanosecond ticks since 1970-01-01T00:00:00Z (the precision Azure's datetimes carry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime(pub i64);

impl DateTime {
    /// The current time.
    pub fn now() -> DateTime {
        let ticks = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos() / 100).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos() / 100).unwrap_or(i64::MAX),
        };
        DateTime(ticks)
    }

    /// Reads `yyyy-mm-ddThh:mm:ss[.fffffff](Z|±hh:mm)`; up to seven fractional digits, as Azure writes them.
    pub fn parse(s: &str) -> Option<DateTime> {
        let b = s.as_bytes();
        let num = |from: usize, len: usize| -> Option<i64> {
            let part = b.get(from..from + len)?;
            part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let at = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(at(4, b'-') && at(7, b'-') && (at(10, b'T') || at(10, b't')) && at(13, b':') && at(16, b':')) {
            return None;
        }
        let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
        let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut i = 19;
        let mut fraction = 0i64;
        if at(i, b'.') {
            let digits = b.get(i + 1..)?.iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || digits > 7 {
                return None;
            }
            fraction = num(i + 1, digits)? * 10i64.pow(7 - u32::try_from(digits).ok()?);
            i += 1 + digits;
        }
        let offset_minutes = match b.get(i..)? {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let d = |c: &u8| c.is_ascii_digit().then(|| i64::from(c - b'0'));
                let (h, m) = (d(h1)? * 10 + d(h2)?, d(m1)? * 10 + d(m2)?);
                if h > 23 || m > 59 {
                    return None;
                }
                if *sign == b'+' { h * 60 + m } else { -(h * 60 + m) }
            }
            _ => return None,
        };
        let days = days_from_civil(year, month, day);
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
        Some(DateTime(seconds * 10_000_000 + fraction))
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        let t = |s: &str| DateTime::parse(s);
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(DateTime(0)));
        assert_eq!(t("1970-01-01T00:00:01.5Z"), Some(DateTime(15_000_000)));
        assert_eq!(t("2022-06-01T23:38:32.8883645Z").map(|d| d.0 % 10_000_000), Some(8_883_645));
        assert!(t("2024-02-29T00:00:00Z").is_some());
        assert_eq!(t("2023-02-29T00:00:00Z"), None);
        assert_eq!(t("2023-13-01T00:00:00Z"), None);
        assert_eq!(t("2023-01-01T24:00:00Z"), None);
        assert_eq!(t("2023-01-01T00:00:00.12345678Z"), None);
        assert_eq!(t("2023-01-01T00:00:00"), None);
        assert_eq!(t("2023-01-01"), None);
        assert_eq!(t("1970-01-01T01:00:00+01:00"), Some(DateTime(0)));
        assert!(t("2022-06-01T00:00:00.0Z") < t("2022-06-01T23:38:32.8883645Z"));
    }
}
