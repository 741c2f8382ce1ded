//! The capture daemon's IDS alerts (`capture --alerts FILE`): the lines
//! [`super::eve`] follows are counted here on the sensor thread, by the
//! attack-method mapping, into the open days, and flushed with the packets
//! (the `alerts` table of each open day, and the alerts' state).
//!
//! An alert counts when its day is open in this sensor: a day this run
//! covers (from its start on) or one it continues from the store, and not
//! yet closed. Alerts of other days (older lines of the file, a clock far
//! behind) are counted as late and go no further, so a flush never writes
//! a day the sensor does not hold.

use std::collections::BTreeSet;

use crate::aggregate::alert_state::AlertState;
use crate::aggregate::alerts::{AlertBook, DayAlerts};
use crate::classify::Telescope;
use crate::classify::methods::Methods;
use crate::decode::read_alerts;
use crate::source::follow::Position;
use crate::time::Day;

/// Counts of what the followed lines held (this run).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertCounts {
    pub lines: u64,
    /// Alerts counted into an open day.
    pub counted: u64,
    pub outside: u64,
    pub excluded: u64,
    /// Alerts of a day that is not open.
    pub late: u64,
    /// Events that are not alerts.
    pub skipped: u64,
    pub malformed: u64,
}

/// The alerts of the open days and where the followed file stands.
pub struct LiveAlerts {
    book: AlertBook,
    methods: Methods,
    telescope: Telescope,
    position: Option<Position>,
    pub counts: AlertCounts,
}

impl LiveAlerts {
    pub fn new(methods: Methods, telescope: Telescope) -> LiveAlerts {
        LiveAlerts { book: AlertBook::default(), methods, telescope, position: None, counts: AlertCounts::default() }
    }

    /// Continues the state the store holds.
    pub fn restore(&mut self, state: AlertState) {
        self.position = state.position;
        for (_, day) in state.days {
            self.book.add_day(day);
        }
    }

    /// Where the lines counted so far end.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// Counts `lines` (complete lines of `name`, ending at `position`)
    /// into the days `open` accepts; gives the first malformed line's
    /// warning, if any.
    pub fn ingest(
        &mut self,
        lines: &[u8],
        position: Position,
        name: &str,
        open: impl Fn(Day) -> bool,
    ) -> Option<String> {
        let (book, methods, telescope, counts) = (&mut self.book, &mut self.methods, &self.telescope, &mut self.counts);
        let (inside, outside, excluded) = (book.inside, book.outside, book.excluded);
        let read = read_alerts(lines, name, |alert| {
            if open(alert.ts.day()) {
                book.add(&alert, telescope, methods);
            } else {
                counts.late += 1;
            }
        });
        self.position = Some(position);
        // Reading bytes in memory cannot fail.
        let read = read.unwrap_or_default();
        counts.lines += read.lines;
        counts.skipped += read.skipped.values().sum::<u64>();
        counts.malformed += read.malformed;
        counts.counted += book.inside - inside;
        counts.outside += book.outside - outside;
        counts.excluded += book.excluded - excluded;
        read.warnings.into_iter().next()
    }

    /// The days that have alerts.
    pub fn days(&self) -> BTreeSet<Day> {
        self.book.days()
    }

    pub fn day(&self, day: Day) -> DayAlerts {
        self.book.day(day)
    }

    /// Forgets a day that closed.
    pub fn forget(&mut self, day: Day) {
        self.book.forget(day);
    }

    /// The state to store: every day still held, and the position.
    pub fn state(&self) -> AlertState {
        let days = self.days().into_iter().map(|d| (d, self.book.day(d))).collect();
        AlertState { position: self.position, days }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{Cidr, CidrSet};

    fn line(ts: &str, src: &str) -> String {
        format!(
            r#"{{"timestamp":"{ts}","event_type":"alert","src_ip":"{src}","src_port":1,"dest_ip":"198.18.0.1","dest_port":22,"proto":"TCP","alert":{{"gid":1,"signature_id":2001219,"rev":3,"signature":"ET SCAN Potential SSH Scan","category":"x","severity":2}}}}"#
        ) + "\n"
    }

    #[test]
    fn alerts_of_open_days_count_and_others_are_late() {
        let darknet = CidrSet::new(&["198.18.0.0/16".parse::<Cidr>().expect("cidr")]);
        let telescope = Telescope { darknet, exclude: CidrSet::new(&[]) };
        let mut live = LiveAlerts::new(Methods::bundled(), telescope);
        let mut lines = line("2024-01-02T10:00:00.000000+0000", "203.0.113.1");
        lines += &line("2024-01-02T11:00:00.000000+0000", "203.0.113.2");
        lines += &line("2024-01-01T23:59:59.000000+0000", "203.0.113.3");
        lines += "{\"event_type\":\"stats\"}\nnot json\n";
        let open_day = Day::from_ymd(2024, 1, 2).expect("day");
        let position = Position { dev: 1, ino: 2, offset: lines.len() as u64 };
        let warning = live.ingest(lines.as_bytes(), position, "eve.json", |d| d == open_day);
        assert!(warning.is_some_and(|w| w.contains("eve.json line 5")));
        let counts = AlertCounts { lines: 5, counted: 2, late: 1, skipped: 1, malformed: 1, ..AlertCounts::default() };
        assert_eq!(live.counts, counts);
        assert_eq!(live.days().into_iter().collect::<Vec<_>>(), [open_day]);
        let state = live.state();
        assert_eq!(state.position, Some(position));
        let mut restored = LiveAlerts::new(Methods::bundled(), live.telescope.clone());
        restored.restore(AlertState::decode(&state.encode()).expect("decodes"));
        assert_eq!(restored.day(open_day), live.day(open_day));
        assert_eq!(restored.day(open_day).rows.iter().map(|r| r.1).sum::<u64>(), 2);
        live.forget(open_day);
        assert!(live.days().is_empty());
    }
}
