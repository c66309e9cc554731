//! [`DateTime`]: an ISO-8601 date-time that keeps the vendor's exact text.

use std::fmt;
use std::time::SystemTime;

use crate::__private::serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use crate::{Error, Result};

/// An ISO-8601 date-time as a vendor writes it (`2026-03-01T09:30:00+08:00`), or with
/// the slashed date some platform versions write (`2017/4/28T10:41:13+08:00`).
///
/// The text is kept exactly as parsed or built, so a value read from one reply and sent
/// back is byte-identical; the instant and the UTC offset are read from it.
///
/// ```
/// use conf_core::DateTime;
///
/// let t: DateTime = "2026-03-01T09:30:00+08:00".parse().unwrap();
/// assert_eq!(t.unix_seconds(), 1_772_328_600);
/// assert_eq!(t.offset_minutes(), Some(480));
/// assert_eq!(t.to_string(), "2026-03-01T09:30:00+08:00");
/// assert_eq!(DateTime::from_unix(1_772_328_600, 480).as_str(), "2026-03-01T09:30:00+08:00");
/// assert!("2026-02-30T09:30:00+08:00".parse::<DateTime>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DateTime {
    text: String,
    unix: i64,
    offset: Option<i32>,
}

impl DateTime {
    /// Parse `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]` (or the date as
    /// `YYYY/M/D`, one- or two-digit month and day). Without an offset the
    /// time is read as UTC ([`Self::offset_minutes`] is then `None`).
    pub fn parse(text: &str) -> Result<Self> {
        parse(text).ok_or_else(|| Error::invalid_input("date-time", format!("`{text}` is not an ISO-8601 date-time")))
    }

    /// The instant `unix` (seconds) written at UTC offset `offset_minutes`
    /// (`480` -> `+08:00`), as `YYYY-MM-DDTHH:MM:SS+HH:MM`.
    pub fn from_unix(unix: i64, offset_minutes: i32) -> Self {
        let local = unix + i64::from(offset_minutes) * 60;
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let off = offset_minutes.unsigned_abs();
        let text = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60,
            off / 60,
            off % 60
        );
        Self { text, unix, offset: Some(offset_minutes) }
    }

    /// A time at UTC offset `offset_minutes`, to the second.
    pub fn from_system_time(t: SystemTime, offset_minutes: i32) -> Self {
        Self::from_unix(crate::codegen::unix_secs(&t), offset_minutes)
    }

    /// The text, exactly as parsed or built.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Seconds since the Unix epoch (fractions of a second dropped).
    pub fn unix_seconds(&self) -> i64 {
        self.unix
    }

    /// The UTC offset in minutes, when the text has one.
    pub fn offset_minutes(&self) -> Option<i32> {
        self.offset
    }

    /// The instant as a [`SystemTime`].
    pub fn to_system_time(&self) -> SystemTime {
        crate::codegen::from_unix(self.unix)
    }
}

impl std::str::FromStr for DateTime {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).ok_or_else(|| de::Error::custom(format!("`{text}` is not an ISO-8601 date-time")))
    }
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

fn parse(text: &str) -> Option<DateTime> {
    if text.trim().len() != text.len() || !text.is_ascii() {
        return None;
    }
    let (date, rest) = text.split_at(text.find(['T', 't', ' '])?);
    let (year, month, day) = parse_date(date)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let rest = &rest[1..];
    // The time ends where the offset begins.
    let split = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(split);
    let mut parts = time.splitn(3, ':');
    let hour = num(parts.next()?)?;
    let min = num(parts.next()?)?;
    let sec = match parts.next() {
        None => 0,
        Some(s) => {
            let whole = s.split_once('.').map_or(s, |(w, frac)| if num(frac).is_some() { w } else { "x" });
            num(whole)?
        }
    };
    if hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let offset = match zone {
        "" => None,
        "Z" | "z" => Some(0),
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let body = &z[1..];
            let (oh, om) = match body.len() {
                5 if &body[2..3] == ":" => (num(&body[..2])?, num(&body[3..])?),
                4 => (num(&body[..2])?, num(&body[2..])?),
                2 => (num(body)?, 0),
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            Some(sign * i32::try_from(oh * 60 + om).ok()?)
        }
    };
    let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec;
    let unix = local - i64::from(offset.unwrap_or(0)) * 60;
    Some(DateTime { text: text.to_owned(), unix, offset })
}

/// `YYYY-MM-DD`, or `YYYY/M/D` with one- or two-digit month and day (some platform
/// versions write `2017/4/28T10:41:13+08:00`).
fn parse_date(date: &str) -> Option<(i64, i64, i64)> {
    let slashes = date.contains('/');
    let mut parts = date.split(if slashes { '/' } else { '-' });
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let width = |s: &str| if slashes { (1..=2).contains(&s.len()) } else { s.len() == 2 };
    if parts.next().is_some() || y.len() != 4 || !width(m) || !width(d) {
        return None;
    }
    Some((num(y)?, num(m)?, num(d)?))
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

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

impl crate::codegen::Lenient for DateTime {
    fn from_json(v: crate::__private::serde_json::Value) -> std::result::Result<Self, String> {
        match v {
            crate::__private::serde_json::Value::String(s) => {
                s.parse::<DateTime>().map_err(|_| format!("`{s}` is not an ISO-8601 date-time"))
            }
            other => Err(format!("expected an ISO-8601 date-time, got {other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_text_round_trips_and_reads_the_instant() {
        for text in ["2026-03-01T09:30:00+08:00", "2026-03-01 09:30:00+0800", "2026-03-01T01:30:00.250Z", "2026-03-01T09:30+08"] {
            let t = DateTime::parse(text).unwrap();
            assert_eq!(t.as_str(), text);
            assert_eq!(t.unix_seconds(), 1_772_328_600, "{text}");
            let json = crate::__private::serde_json::to_string(&t).unwrap();
            let back: DateTime = crate::__private::serde_json::from_str(&json).unwrap();
            assert_eq!(back, t);
        }
        // The slashed dates of the moyun reference (nms warnings and statistics).
        for text in ["2026/3/1T09:30:00+08:00", "2026/03/01T09:30:00+08:00", "2026/3/01 09:30+08:00"] {
            let t = DateTime::parse(text).unwrap();
            assert_eq!((t.as_str(), t.unix_seconds()), (text, 1_772_328_600), "{text}");
        }
        let utc = DateTime::parse("2026-03-01T01:30:00").unwrap();
        assert_eq!((utc.unix_seconds(), utc.offset_minutes()), (1_772_328_600, None));
        assert_eq!(DateTime::parse("1969-12-31T23:59:59Z").unwrap().unix_seconds(), -1);
        assert_eq!(DateTime::from_unix(-1, -90).as_str(), "1969-12-31T22:29:59-01:30");
        assert_eq!(DateTime::from_unix(951_782_400, 0).as_str(), "2000-02-29T00:00:00+00:00");
    }

    #[test]
    fn malformed_text_is_refused() {
        for bad in [
            "",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-03-01",
            "2026-03-01T24:00:00Z",
            "2026-03-01T09:30:00+8",
            " 2026-03-01T09:30:00Z",
            "2026-03-01T09:30:00.x+08:00",
            "２０２６-03-01T09:30:00Z",
            "2026-3-1T09:30:00Z",
            "2026/3-1T09:30:00Z",
            "2026/2/30T09:30:00Z",
            "2026/003/1T09:30:00Z",
            "26/3/1T09:30:00Z",
            "2026/3/1/2T09:30:00Z",
            "T09:30:00Z",
        ] {
            assert!(DateTime::parse(bad).is_err(), "{bad}");
        }
        let err = crate::__private::serde_json::from_str::<DateTime>("\"tomorrow\"").unwrap_err();
        assert!(err.to_string().contains("tomorrow"), "{err}");
    }
}
