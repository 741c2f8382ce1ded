//! The daemon's log: one line per event an operator cares about, to
//! standard error (journald keeps it), with the UTC time and a level:
//! `2026-12-03T08:00:00Z INFO capture started on eth1 …`. Flushes are
//! `debug`, shown with `--log-level debug`.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::time::Timestamp;

/// Log levels, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }

    /// Parses `error`, `warn`, `info` or `debug`.
    pub fn parse(text: &str) -> Option<Level> {
        match text.to_ascii_lowercase().as_str() {
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => None,
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Shows lines of `level` and more severe ones.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// Writes one line (see the module docs) when `level` is shown.
pub fn line(level: Level, message: std::fmt::Arguments<'_>) {
    if !enabled(level) {
        return;
    }
    let now = super::clock::Clock::now(&super::clock::SystemClock);
    eprintln!("{} {} {message}", utc_seconds(now), level.name());
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a time in ns.
pub fn utc_seconds(ns: i64) -> String {
    Timestamp(ns).utc_seconds()
}

macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::daemon::log::line($crate::daemon::log::Level::$level, format_args!($($arg)*))
    };
}
pub(crate) use log;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_utc_seconds() {
        // 2024-01-02T03:04:05Z is 1704164645 s after the epoch.
        assert_eq!(utc_seconds(1_704_164_645 * crate::time::NANOS_PER_SEC + 999), "2024-01-02T03:04:05Z");
        assert_eq!(Level::parse("WARN"), Some(Level::Warn));
        assert!(Level::Error < Level::Debug);
    }
}
