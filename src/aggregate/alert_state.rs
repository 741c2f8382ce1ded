//! The capture daemon's IDS alerts between runs: the open days' alerts and
//! the followed file's position after the last line they count, as bytes
//! (little-endian, lengths first). The store keeps them in one file
//! written atomically at each flush, so alerts and position always agree:
//! a restarted daemon continues after the last line counted, and each line
//! is counted once.

use std::sync::Arc;

use super::alerts::{AlertKey, DayAlerts, Signature};
use crate::decode::{Addr, IpProto};
use crate::source::follow::Position;
use crate::time::Day;

/// What the state holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertState {
    /// None until the followed file was first opened.
    pub position: Option<Position>,
    pub days: Vec<(Day, DayAlerts)>,
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

impl AlertState {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let p = self.position.unwrap_or_default();
        out.push(u8::from(self.position.is_some()));
        for n in [p.dev, p.ino, p.offset] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&(self.days.len() as u32).to_le_bytes());
        for (day, alerts) in &self.days {
            out.extend_from_slice(&day.0.to_le_bytes());
            out.extend_from_slice(&(alerts.signatures.len() as u32).to_le_bytes());
            for s in &alerts.signatures {
                for n in [s.gid, s.sid, s.rev] {
                    out.extend_from_slice(&n.to_le_bytes());
                }
                out.push(s.severity);
                for text in [s.text.as_str(), &s.category, &s.method] {
                    put_text(&mut out, text);
                }
            }
            out.extend_from_slice(&(alerts.rows.len() as u32).to_le_bytes());
            for (key, n) in &alerts.rows {
                out.extend_from_slice(&key.src.0.to_le_bytes());
                out.push(key.proto.0);
                out.push(u8::from(key.port.is_some()));
                out.extend_from_slice(&key.port.unwrap_or(0).to_le_bytes());
                out.extend_from_slice(&key.signature.to_le_bytes());
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        out
    }

    /// Reads [`AlertState::encode`]'s bytes; `None` when they do not parse.
    pub fn decode(bytes: &[u8]) -> Option<AlertState> {
        let mut r = Reader(bytes);
        let known = r.take(1)?[0] == 1;
        let p = Position { dev: r.u64()?, ino: r.u64()?, offset: r.u64()? };
        let mut state = AlertState { position: known.then_some(p), days: Vec::new() };
        for _ in 0..r.count()? {
            let day = Day(r.u32()? as i32);
            let mut alerts = DayAlerts::default();
            for _ in 0..r.count()? {
                let (gid, sid, rev, severity) = (r.u32()?, r.u32()?, r.u32()?, r.take(1)?[0]);
                let (text, category, method) = (r.text()?, r.text()?, r.text()?);
                let method: Arc<str> = method.into();
                alerts.signatures.push(Signature { gid, sid, rev, text, category, severity, method });
            }
            for _ in 0..r.count()? {
                let src = Addr(u128::from_le_bytes(r.take(16)?.try_into().ok()?));
                let proto = IpProto(r.take(1)?[0]);
                let has_port = r.take(1)?[0] == 1;
                let port = u16::from_le_bytes(r.take(2)?.try_into().ok()?);
                let signature = r.u32()?;
                if signature as usize >= alerts.signatures.len() {
                    return None;
                }
                let key = AlertKey { day, src, signature, proto, port: has_port.then_some(port) };
                alerts.rows.push((key, r.u64()?));
            }
            state.days.push((day, alerts));
        }
        r.0.is_empty().then_some(state)
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count of items that each take at least a byte (so a damaged
    /// count cannot ask for more room than the bytes left).
    fn count(&mut self) -> Option<usize> {
        let n = self.u32()? as usize;
        (n <= self.0.len()).then_some(n)
    }
    fn text(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_reads_back_as_written_and_damage_is_refused() {
        let signature = Signature {
            gid: 1,
            sid: 2_001_219,
            rev: 3,
            text: "ET SCAN Potential SSH Scan".into(),
            category: "Attempted Information Leak".into(),
            severity: 2,
            method: "SSH brute force".into(),
        };
        let day = Day(19_723);
        let key = |src: u128, port| AlertKey { day, src: Addr(src), signature: 0, proto: IpProto::TCP, port };
        let alerts = DayAlerts { rows: vec![(key(7, Some(22)), 5), (key(9, None), 1)], signatures: vec![signature] };
        let state =
            AlertState { position: Some(Position { dev: 3, ino: 99, offset: 12_345 }), days: vec![(day, alerts)] };
        let bytes = state.encode();
        assert_eq!(AlertState::decode(&bytes), Some(state));
        assert_eq!(AlertState::decode(&bytes[..bytes.len() - 1]), None, "cut short");
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(AlertState::decode(&longer), None, "trailing bytes");
        let empty = AlertState::default();
        assert_eq!(AlertState::decode(&empty.encode()), Some(empty));
    }
}
