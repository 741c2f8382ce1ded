//! The record path: each record's decoding, darknet scope and
//! classification, the run-wide counters, and the batch of its day (see
//! the module docs of [`super`]); a record past an open day's closing time
//! closes that day first.

use super::{Aggregator, BATCH, CLOSE_AFTER_NS, Pending, VictimKey, classify, malformed_index};
use crate::classify::Scope;
use crate::decode::{Decoded, Fields, IpProto, IpVersion, Packet, decode};
use crate::source::{Record, RecordSink};
use crate::time::{NANOS_PER_DAY, Timestamp};

impl Aggregator {
    /// Counts one decoded IP packet: darknet scope, classification, then
    /// the batch (see the module docs).
    #[inline]
    pub fn count_ip(&mut self, packet: Packet) {
        match packet.version {
            IpVersion::V4 => self.counts.ipv4 += 1,
            IpVersion::V6 => self.counts.ipv6 += 1,
        }
        match self.telescope.scope(&packet) {
            Scope::Inside => {
                self.counts.darknet_inside += 1;
                if let (IpVersion::V6, Some(seen)) = (packet.version, &mut self.ipv6_seen) {
                    seen.insert(packet.dst.0);
                }
            }
            Scope::Outside => {
                self.counts.darknet_outside += 1;
                return;
            }
            Scope::Excluded => {
                self.counts.excluded += 1;
                return;
            }
        }
        let ts = packet.ts.0;
        if ts < self.live_floor {
            self.late += 1;
            return;
        }
        let class = classify(&packet);
        // A batch holds one day: compare with the day's bounds rather than
        // dividing every timestamp.
        let in_batch_day = (self.batch_day.0..self.batch_day.1).contains(&ts);
        if self.batch_len() > 0 && !in_batch_day {
            self.flush();
        }
        if self.batch_len() == 0 {
            let start = packet.ts.day().start().0;
            self.batch_day = (start, start.saturating_add(NANOS_PER_DAY));
            // The calendar meets the batch's day only when the batch is
            // numbered: until then a record past the day's closing time
            // must still close it (and number the batch as it was read).
            let closes = self.batch_day.1.saturating_add(CLOSE_AFTER_NS);
            self.calendar.close_at = self.calendar.close_at.min(closes);
        }
        self.traffic.add(&packet, &class);
        if let (Some(kind), Some(victim)) = (class.backscatter, class.victim) {
            let proto = if packet.proto == IpProto::TCP { IpProto::TCP } else { packet.inner_proto };
            let port = class.victim_port.map(|port| (proto, port));
            let key = VictimKey { day: packet.ts.day(), victim, kind, port };
            *self.victims.entry(key).or_default() += 1;
            if self.log_attacks {
                // The attacked protocol: the quoted one of an ICMP error.
                let attacked = if packet.has(Fields::INNER) { packet.inner_proto } else { packet.proto };
                self.attacks.push(victim, attacked, ts, packet.ip_len, class.victim_port, packet.dst);
            }
        }
        self.chunk.pending.push(Pending::new(&packet, &class));
        if self.batch_len() == BATCH {
            self.flush();
        }
    }
}

impl RecordSink for Aggregator {
    #[inline]
    fn record(&mut self, record: &Record<'_>) {
        self.counts.records += 1;
        self.coverage.observe(record.ts);
        let t = record.ts.0;
        // Live capture's time is the clock's, passed in at each snapshot
        // (see `live`), not the newest record's.
        if t > self.newest && self.snapshots.is_none() {
            if t > self.calendar.close_at {
                self.close_passed_days(t);
            }
            self.newest = t;
        }
        self.input_span = Some(match self.input_span {
            Some((first, last)) => (first.min(t), last.max(t)),
            None => (t, t),
        });
        let packet = match decode(record) {
            Decoded::Ip(packet) => packet,
            Decoded::NonIp => {
                self.counts.non_ip += 1;
                return;
            }
            Decoded::UnsupportedLink(link) => {
                self.counts.non_ip += 1;
                if !self.unsupported.contains(&link) {
                    self.unsupported.push(link);
                }
                return;
            }
            Decoded::Malformed(why) => {
                self.counts.malformed += 1;
                self.counts.malformed_by[malformed_index(why)] += 1;
                return;
            }
        };
        self.count_ip(packet);
    }

    fn capture_span(&mut self, start: Timestamp, end: Timestamp) {
        self.coverage.state_span(start, end);
    }
}
