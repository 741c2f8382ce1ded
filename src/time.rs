//! Timestamps and UTC calendar days.
//!
//! Packet time is nanoseconds since the Unix epoch in an `i64` (good until
//! year 2262). Days are counted since 1970-01-01 UTC; the civil-date
//! conversion is Howard Hinnant's `days_from_civil` / `civil_from_days`,
//! so no time-zone database is needed.

use std::fmt;

/// Nanoseconds in one second and in one day.
pub const NANOS_PER_SEC: i64 = 1_000_000_000;
pub const SECS_PER_DAY: i64 = 86_400;
pub const NANOS_PER_DAY: i64 = SECS_PER_DAY * NANOS_PER_SEC;

/// A packet timestamp: nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `YYYY-MM-DDTHH:MM:SSZ`, to the second.
    pub fn utc_seconds(self) -> String {
        let secs = self.0.div_euclid(NANOS_PER_SEC) - self.day().start().0.div_euclid(NANOS_PER_SEC);
        format!("{}T{:02}:{:02}:{:02}Z", self.day(), secs / 3600, secs / 60 % 60, secs % 60)
    }

    pub fn from_secs_nanos(secs: i64, nanos: i64) -> Self {
        Timestamp(secs.saturating_mul(NANOS_PER_SEC).saturating_add(nanos))
    }

    /// The UTC day this instant falls in.
    pub fn day(self) -> Day {
        Day(self.0.div_euclid(NANOS_PER_DAY) as i32)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
}

/// A UTC calendar day, counted from 1970-01-01.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
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
        Timestamp(i64::from(self.0).saturating_mul(NANOS_PER_DAY))
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
    fn round_trip_many_days() {
        for d in -800_000..800_000 {
            let (y, m, dd) = Day(d).ymd();
            assert_eq!(Day::from_ymd(y, m, dd), Some(Day(d)));
        }
    }
}
