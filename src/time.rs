//! Timestamps and calendar days.
//!
//! Packet time is nanoseconds since the Unix epoch in an `i64` (good until
//! year 2262). Days are counted since 1970-01-01 in the run's day offset:
//! UTC unless the command line set another fixed offset (`--day-offset
//! +09:00`, JST as NICT and the NPA count days) with [`set_day_offset`]
//! before the first day is computed; it is one setting of the process, as a
//! time zone is. The civil-date conversion is Howard Hinnant's
//! `days_from_civil` / `civil_from_days`, so no time-zone database is
//! needed.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

/// Nanoseconds in one second and in one day.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;
pub const SECS_PER_DAY: i64 = 86_400;
pub const NANOS_PER_DAY: i64 = SECS_PER_DAY * NANOS_PER_SEC;

/// Nanoseconds in one hour.
pub const NANOS_PER_HOUR: i64 = 3_600 * NANOS_PER_SEC;

/// The day offset of this process in nanoseconds (see the module docs).
static DAY_OFFSET_NS: AtomicI64 = AtomicI64::new(0);

/// A fixed offset from UTC at which days begin, in whole hours (so each
/// hour of the hourly tables lies in one day): `+09:00` is JST.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayOffset {
    hours: i8,
}

impl DayOffset {
    pub const UTC: DayOffset = DayOffset { hours: 0 };

    /// Parses `+09:00`, `-05:00`, `+9`, `0`, `UTC` or `Z`: whole hours from
    /// -12 to +14.
    pub fn parse(text: &str) -> Result<DayOffset, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("utc") || t.eq_ignore_ascii_case("z") {
            return Ok(DayOffset::UTC);
        }
        let bad = || format!("{text:?} is no day offset: give whole hours from UTC, as +09:00 (JST) or -05:00");
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => (1, t),
        };
        let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "00"));
        let hours: i8 = hours.parse().map_err(|_| bad())?;
        if minutes != "00" && minutes != "0" {
            return Err(format!(
                "{text:?}: only whole hours are supported (the hourly tables' hours must each lie in one day)"
            ));
        }
        let hours = sign * hours;
        if !(-12..=14).contains(&hours) {
            return Err(format!("{text:?}: offsets run from -12:00 to +14:00"));
        }
        Ok(DayOffset { hours })
    }

    pub fn nanos(self) -> i64 {
        i64::from(self.hours) * NANOS_PER_HOUR
    }
}

impl fmt::Display for DayOffset {
    /// `+09:00`, `-05:00`, `+00:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.hours < 0 { '-' } else { '+' };
        write!(f, "{sign}{:02}:00", self.hours.unsigned_abs())
    }
}

/// Makes days begin at `offset` from UTC for the rest of the process. Call
/// once, before any day is computed.
pub fn set_day_offset(offset: DayOffset) {
    DAY_OFFSET_NS.store(offset.nanos(), Ordering::Relaxed);
}

/// The day offset set by [`set_day_offset`] (UTC until then).
pub fn day_offset() -> DayOffset {
    let hours = DAY_OFFSET_NS.load(Ordering::Relaxed) / NANOS_PER_HOUR;
    DayOffset { hours: hours as i8 }
}

#[inline]
fn offset_ns() -> i64 {
    DAY_OFFSET_NS.load(Ordering::Relaxed)
}

/// A packet timestamp: nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`, to the second (in UTC whatever the day
    /// offset).
    pub fn utc_seconds(self) -> String {
        let day = Day::at(self.0, 0);
        let secs = self.0.div_euclid(NANOS_PER_SEC) - day.start_at(0).div_euclid(NANOS_PER_SEC);
        format!("{day}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
    }

    pub fn from_secs_nanos(secs: i64, nanos: i64) -> Self {
        Timestamp(secs.saturating_mul(NANOS_PER_SEC).saturating_add(nanos))
    }

    /// The day this instant falls in (in the day offset).
    #[inline]
    pub fn day(self) -> Day {
        Day::at(self.0, offset_ns())
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

/// A calendar day (in the day offset), counted from 1970-01-01.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day of the instant `ns` where days begin at 00:00 of
    /// UTC+`offset` (ns).
    #[inline]
    fn at(ns: i64, offset: i64) -> Day {
        Day(ns.saturating_add(offset).div_euclid(NANOS_PER_DAY) as i32)
    }

    /// The first instant of this day in UTC+`offset`.
    fn start_at(self, offset: i64) -> i64 {
        i64::from(self.0).saturating_mul(NANOS_PER_DAY).saturating_sub(offset)
    }

    /// The day of a civil date, or `None` when the date does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let y = if month <= 2 { year - 1 } else { year } as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Day((era * 146_097 + doe - 719_468) as i32))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Day> {
        let mut parts = text.trim().splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        Day::from_ymd(year, month, day)
    }

    /// The (year, month, day) of this day.
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 as i64 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = (yoe + era * 400 + i64::from(m <= 2)) as i32;
        (y, m, d)
    }

    /// The first instant of this day (the earliest timestamp for the day
    /// of `i64::MIN` ns, which starts before it).
    pub fn start(self) -> Timestamp {
        Timestamp(self.start_at(offset_ns()))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(Day(0).to_string(), "1970-01-01");
        // 2024-01-01 is 19723 days after the epoch (1704067200 / 86400).
        assert_eq!(Day::parse("2024-01-01"), Some(Day(19_723)));
        assert_eq!(Day(19_723 + 59).to_string(), "2024-02-29");
        assert_eq!(Day(-1).to_string(), "1969-12-31");
        assert_eq!(Day::parse("2023-02-29"), None);
    }

    #[test]
    fn last_nanosecond_stays_in_its_day() {
        let t = Timestamp::from_secs_nanos(1_704_153_599, 999_999_999);
        assert_eq!(t.day().to_string(), "2024-01-01");
        assert_eq!(Timestamp(t.0 + 1).day().to_string(), "2024-01-02");
    }

    #[test]
    fn the_first_day_of_the_calendar_starts_at_its_first_instant() {
        let first = Timestamp(i64::MIN).day();
        assert_eq!(first.start(), Timestamp(i64::MIN));
        assert_eq!(Timestamp(i64::MAX).day().start().day(), Timestamp(i64::MAX).day());
    }

    #[test]
    fn days_in_an_offset_begin_at_its_midnight() {
        let jst = DayOffset::parse("+09:00").unwrap().nanos();
        // 2024-01-01T15:00:00Z is 2024-01-02T00:00 in JST.
        let midnight = Timestamp::from_secs_nanos(1_704_121_200, 0).0;
        assert_eq!(Day::at(midnight - 1, jst).to_string(), "2024-01-01");
        assert_eq!(Day::at(midnight, jst).to_string(), "2024-01-02");
        assert_eq!(Day::at(midnight, jst).start_at(jst), midnight);
        assert_eq!(Day::at(midnight, 0).to_string(), "2024-01-01");
        let west = DayOffset::parse("-05:00").unwrap().nanos();
        assert_eq!(Day::at(Timestamp::from_secs_nanos(1_704_085_200, 0).0, west).to_string(), "2024-01-01");
        assert_eq!(Day::at(Timestamp::from_secs_nanos(1_704_085_199, 0).0, west).to_string(), "2023-12-31");
    }

    #[test]
    fn offsets_parse_in_whole_hours_and_print_as_iso() {
        for (text, shown) in
            [("+09:00", "+09:00"), ("9", "+09:00"), ("-05:00", "-05:00"), ("UTC", "+00:00"), ("+14", "+14:00")]
        {
            assert_eq!(DayOffset::parse(text).unwrap().to_string(), shown, "{text}");
        }
        for bad in ["+05:30", "+15:00", "-13", "JST", "", "+09:00:00"] {
            assert!(DayOffset::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn round_trip_many_days() {
        for d in -800_000..800_000 {
            let (y, m, dd) = Day(d).ymd();
            assert_eq!(Day::from_ymd(y, m, dd), Some(Day(d)));
        }
    }
}
