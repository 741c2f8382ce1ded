//! Packets per (hour, protocol, destination port): the store's hourly
//! per-port series (TSUBAME's daily charts of the top ports sum it).
//!
//! Records arrive mostly in time order, so the current hour is counted in
//! a dense array of TCP and UDP ports (one add per packet, no hashing);
//! when a packet from another hour arrives, the touched counters of the
//! current hour become rows and the array starts over. Touched counters are
//! marked in a bitmap (16 KiB, in the L1 cache) rather than listed: the
//! mark does not wait for the counter's load, so the cache misses of
//! consecutive packets overlap. Rows of the same
//! hour written twice (records out of order) are summed by [`rows`].
//!
//! [`rows`]: HourlyPorts::rows

use crate::decode::IpProto;
use crate::time::NANOS_PER_HOUR;

/// TCP ports, then UDP ports.
const SLOTS: usize = 2 * 65_536;
/// Words of the touched bitmap.
const WORDS: usize = SLOTS / 64;

/// One row of the series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourlyRow {
    /// Hours since the Unix epoch (UTC).
    pub hour: i64,
    pub proto: IpProto,
    pub port: u16,
    pub packets: u64,
}

impl HourlyRow {
    /// The hour's start, in nanoseconds since the epoch.
    pub fn start_nanos(&self) -> i64 {
        self.hour.saturating_mul(NANOS_PER_HOUR)
    }
}

#[derive(Clone, Debug)]
pub struct HourlyPorts {
    /// The hour being counted, as [start, end) in nanoseconds.
    span: (i64, i64),
    counts: Box<[u32]>,
    /// One bit per slot of `counts` counted this hour.
    touched: Box<[u64; WORDS]>,
    /// (hour, slot, packets) of hours already left.
    done: Vec<(i32, u32, u64)>,
}

impl Default for HourlyPorts {
    fn default() -> HourlyPorts {
        HourlyPorts {
            span: (0, 0),
            counts: vec![0; SLOTS].into_boxed_slice(),
            touched: Box::new([0; WORDS]),
            done: Vec::new(),
        }
    }
}

impl HourlyPorts {
    /// Hints the CPU to fetch the counter of (`proto`, `port`).
    #[inline]
    pub fn prefetch(&self, proto: IpProto, port: u16) {
        super::prefetch::prefetch(&self.counts[slot(proto, port)]);
    }

    /// Counts one packet with a destination port.
    #[inline]
    pub fn add(&mut self, ts: i64, proto: IpProto, port: u16) {
        if !(self.span.0..self.span.1).contains(&ts) {
            self.switch_hour(ts);
        }
        let slot = slot(proto, port);
        self.touched[slot / 64] |= 1 << (slot % 64);
        let count = &mut self.counts[slot];
        *count += 1;
        // A u32 cannot overflow within an hour below 1.2 M packets/s to
        // one port; beyond that, spill to a row (the slot stays touched).
        if *count == u32::MAX {
            *count = 0;
            self.done.push((self.hour(), slot as u32, u64::from(u32::MAX)));
        }
    }

    /// The current hour, in hours since the epoch.
    fn hour(&self) -> i32 {
        self.span.0.div_euclid(NANOS_PER_HOUR) as i32
    }

    #[cold]
    fn switch_hour(&mut self, ts: i64) {
        self.close_hour();
        // Hours since the epoch fit an i32 for 245,000 years either way.
        let hour = ts.div_euclid(NANOS_PER_HOUR).clamp(i64::from(i32::MIN), i64::from(i32::MAX));
        let start = hour.saturating_mul(NANOS_PER_HOUR);
        self.span = (start, start.saturating_add(NANOS_PER_HOUR));
    }

    fn close_hour(&mut self) {
        let hour = self.hour();
        let touched = std::mem::replace(&mut *self.touched, [0; WORDS]);
        for slot in touched_slots(&touched) {
            let count = std::mem::take(&mut self.counts[slot as usize]);
            if count > 0 {
                self.done.push((hour, slot, u64::from(count)));
            }
        }
    }

    fn current(&self) -> impl Iterator<Item = (i32, u32, u64)> + '_ {
        let hour = self.hour();
        touched_slots(&self.touched)
            .map(move |slot| (hour, slot, u64::from(self.counts[slot as usize])))
            .filter(|&(_, _, packets)| packets > 0)
    }

    /// Packets per TCP port (the first 65,536 entries), then per UDP port,
    /// over every hour.
    pub fn totals(&self) -> Box<[u64]> {
        let mut totals = vec![0u64; SLOTS].into_boxed_slice();
        for (_, slot, packets) in self.done.iter().copied().chain(self.current()) {
            totals[slot as usize] += packets;
        }
        totals
    }

    /// The rows of the hours starting in [`start`, `end`) nanoseconds (one
    /// day's), sorted as [`rows`](Self::rows) sorts them.
    pub fn rows_between(&self, start: i64, end: i64) -> Vec<HourlyRow> {
        let inside =
            |&(hour, _, _): &(i32, u32, u64)| (start..end).contains(&i64::from(hour).saturating_mul(NANOS_PER_HOUR));
        Self::sum_rows(self.done.iter().copied().chain(self.current()).filter(inside).collect())
    }

    /// Forgets the hours starting before `end` nanoseconds (a live
    /// capture's closed days).
    pub fn forget_before(&mut self, end: i64) {
        if self.span.0 < end {
            self.close_hour();
            self.span = (0, 0);
        }
        self.done.retain(|&(hour, _, _)| i64::from(hour).saturating_mul(NANOS_PER_HOUR) >= end);
    }

    /// Adds rows as [`rows`](Self::rows) gave them (a day's, as a live
    /// capture stored it).
    pub fn restore(&mut self, rows: &[HourlyRow]) {
        for row in rows {
            let hour = row.hour.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
            let slot = slot(row.proto, row.port) as u32;
            self.done.push((hour, slot, row.packets));
        }
    }

    /// Every (hour, protocol, port) with its packets, sorted by hour, then
    /// TCP before UDP, then port.
    pub fn rows(&self) -> Vec<HourlyRow> {
        let mut all = self.done.clone();
        all.extend(self.current());
        Self::sum_rows(all)
    }

    /// `all` as rows: sorted, the counts of one (hour, slot) summed.
    fn sum_rows(mut all: Vec<(i32, u32, u64)>) -> Vec<HourlyRow> {
        all.sort_unstable_by_key(|&(hour, slot, _)| (hour, slot));
        let mut rows: Vec<HourlyRow> = Vec::with_capacity(all.len());
        for (hour, slot, packets) in all {
            let proto = if slot >= 65_536 { IpProto::UDP } else { IpProto::TCP };
            let port = slot as u16;
            match rows.last_mut() {
                Some(last) if last.hour == i64::from(hour) && last.proto == proto && last.port == port => {
                    last.packets += packets
                }
                _ => rows.push(HourlyRow { hour: i64::from(hour), proto, port, packets }),
            }
        }
        rows
    }
}

/// The counter of (`proto`, `port`): TCP ports (and others), then UDP.
#[inline]
fn slot(proto: IpProto, port: u16) -> usize {
    usize::from(port) | if proto == IpProto::UDP { 65_536 } else { 0 }
}

/// The slots marked in a touched bitmap, ascending.
fn touched_slots(words: &[u64; WORDS]) -> impl Iterator<Item = u32> + '_ {
    words.iter().enumerate().flat_map(|(i, &word)| {
        let mut bits = word;
        std::iter::from_fn(move || {
            (bits != 0).then(|| {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                i as u32 * 64 + bit
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = NANOS_PER_HOUR;

    #[test]
    fn counts_per_hour_and_sums_hours_seen_twice() {
        let mut h = HourlyPorts::default();
        h.add(10 * H, IpProto::TCP, 23);
        h.add(10 * H + 5, IpProto::TCP, 23);
        h.add(10 * H + 7, IpProto::UDP, 23);
        h.add(11 * H, IpProto::TCP, 23);
        // Out of order: back to hour 10, then the day before the epoch.
        h.add(10 * H + 9, IpProto::TCP, 23);
        h.add(-1, IpProto::TCP, 65_535);
        let rows: Vec<(i64, IpProto, u16, u64)> =
            h.rows().iter().map(|r| (r.hour, r.proto, r.port, r.packets)).collect();
        assert_eq!(
            rows,
            vec![
                (-1, IpProto::TCP, 65_535, 1),
                (10, IpProto::TCP, 23, 3),
                (10, IpProto::UDP, 23, 1),
                (11, IpProto::TCP, 23, 1),
            ]
        );
        assert_eq!(h.rows()[0].start_nanos(), -H);
    }
}
