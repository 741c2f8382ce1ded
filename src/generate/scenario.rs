//! Scenarios (`generate --scenario NAME`): traffic with known events
//! planted in it, so report tests know what a correct analysis must find.
//!
//! * `two-period`: the first half of the days (rounded down) is the
//!   baseline, the rest the period. In the period, TCP destination ports
//!   drawn from the Zipf ranking are changed: 5 % become 5555/tcp (it
//!   surges), 2 % become 37215/tcp (a new port), and three quarters of the
//!   draws of 445/tcp are drawn again (it falls). 2 % of the period's
//!   packets are SYNs from 300 extra Vietnamese sources (a country shift)
//!   and 1 % are SYN-ACK backscatter from one extra German victim serving
//!   8443/tcp.
//! * `events`: DoS attacks planted at exact times (see [`super::events`]);
//!   the background has no backscatter. Scan campaigns planted at exact
//!   times beside them (see [`super::scans`]). Needs two days or more and
//!   a darknet of 300 addresses or more.
//! * `gap`: the sensor records nothing from 12:00 to 15:00 UTC on the first
//!   day (that day is covered 21 hours); the packets are spread over the
//!   remaining time.
//!
//! With a scenario the truth file gets `by_day` (see [`super::by_day`]).
//! What was really sent is re-derived from the written bytes, as always.

use std::str::FromStr;

use super::model::{Planted, Source, Victim};
use super::rng::Rng;

pub const SURGING_PORT: u16 = 5555;
pub const FALLING_PORT: u16 = 445;
pub const NEW_PORT: u16 = 37215;
/// Start and length of the `gap` scenario's outage on the first day (µs).
pub const GAP_START_US: u64 = 12 * 3_600_000_000;
pub const GAP_LEN_US: u64 = 3 * 3_600_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    TwoPeriod,
    Gap,
    Events,
}

impl Scenario {
    pub const NAMES: [&'static str; 3] = ["two-period", "gap", "events"];
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(text: &str) -> Result<Scenario, String> {
        match text {
            "two-period" => Ok(Scenario::TwoPeriod),
            "gap" => Ok(Scenario::Gap),
            "events" => Ok(Scenario::Events),
            _ => Err(format!("'{text}' is not a scenario: use one of {}", Scenario::NAMES.join(", "))),
        }
    }
}

/// What the traffic does differently in the second period.
pub struct Plan {
    planted: Planted,
    /// Whether the packet being built falls in the second period.
    pub active: bool,
}

/// A packet the plan substitutes for the usual draw.
pub enum Substitute {
    ShiftScan(Source),
    VictimSynAck(Victim),
}

impl Plan {
    pub fn new(planted: Planted) -> Plan {
        Plan { planted, active: false }
    }

    /// A planted packet in place of the usual one (3 % of the period).
    pub fn substitute(&self, rng: &mut Rng) -> Option<Substitute> {
        if !self.active {
            return None;
        }
        match rng.below(100) {
            0 | 1 => {
                let sources = &self.planted.shift_sources;
                Some(Substitute::ShiftScan(sources[rng.below(sources.len() as u64) as usize]))
            }
            2 => Some(Substitute::VictimSynAck(self.planted.victim)),
            _ => None,
        }
    }

    /// A TCP destination port drawn from the ranking, changed as the
    /// period wants; `redraw` draws from the ranking again.
    pub fn port(&self, drawn: u16, rng: &mut Rng, redraw: impl FnOnce(&mut Rng) -> u16) -> u16 {
        if !self.active {
            return drawn;
        }
        match rng.below(100) {
            0..=4 => SURGING_PORT,
            5 | 6 => NEW_PORT,
            r if drawn == FALLING_PORT && r < 82 => redraw(rng),
            _ => drawn,
        }
    }
}

/// Maps an offset into the run (µs) over the time the sensor recorded:
/// with the `gap` scenario, offsets from the gap's start on move past it.
pub fn recorded_offset(scenario: Option<Scenario>, offset: u64) -> u64 {
    match scenario {
        Some(Scenario::Gap) if offset >= GAP_START_US => offset + GAP_LEN_US,
        _ => offset,
    }
}

/// The recorded time of a run of `span_us` (µs).
pub fn recorded_span(scenario: Option<Scenario>, span_us: u64) -> u64 {
    match scenario {
        Some(Scenario::Gap) => span_us - GAP_LEN_US,
        _ => span_us,
    }
}
