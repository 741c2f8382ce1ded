//! The live part's state files (see [`super::live`]): each open day's
//! covered spans, drops and aggregates, and the IDS alerts' state, each
//! closed by a sha256 of its bytes so a damaged file is refused, never
//! continued.

use sha2::{Digest, Sha256};

use super::live::{LiveDay, StoredDay};
use crate::time::Day;

const STATE_MAGIC: &[u8; 8] = b"DSSTATE1";

/// `body` followed by its sha256.
pub(super) fn with_checksum(mut body: Vec<u8>) -> Vec<u8> {
    let digest = Sha256::digest(&body);
    body.extend_from_slice(&digest);
    body
}

/// The body of [`with_checksum`]'s bytes; `None` when the sum fails.
pub(super) fn checked(bytes: &[u8]) -> Option<&[u8]> {
    let (body, digest) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    (Sha256::digest(body).as_slice() == digest).then_some(body)
}

/// A day's state file: magic, covered spans, drops, the aggregates, and a
/// sha256 of all that.
pub(super) fn encode_state(day: &LiveDay, aggregates: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(aggregates.len() + 64 + 16 * day.coverage.len());
    out.extend_from_slice(STATE_MAGIC);
    out.extend_from_slice(&(day.coverage.len() as u64).to_le_bytes());
    for (start, end) in &day.coverage {
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&end.to_le_bytes());
    }
    out.extend_from_slice(&day.drops.to_le_bytes());
    out.extend_from_slice(aggregates);
    with_checksum(out)
}

/// Reads [`encode_state`]'s bytes; `None` when they are damaged.
pub(super) fn decode_state(day: Day, bytes: &[u8]) -> Option<StoredDay> {
    let body = checked(bytes)?;
    if !body.starts_with(STATE_MAGIC) {
        return None;
    }
    let mut at = STATE_MAGIC.len();
    let mut next = |n: usize| {
        let slice = body.get(at..at.checked_add(n)?)?;
        at += n;
        Some(slice)
    };
    let u64_at = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
    let spans = usize::try_from(u64_at(next(8)?)).ok().filter(|&n| n <= body.len() / 16)?;
    let mut coverage = Vec::with_capacity(spans);
    for _ in 0..spans {
        let start = u64_at(next(8)?) as i64;
        coverage.push((start, u64_at(next(8)?) as i64));
    }
    let drops = u64_at(next(8)?);
    Some(StoredDay { day, coverage, drops, aggregates: body[at..].to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::DaySnapshot;

    #[test]
    fn a_day_state_reads_back_and_any_damage_is_refused() {
        let day = Day(19_723);
        let snapshot = DaySnapshot { day, tables: None, hourly: Vec::new(), victims: Vec::new(), closed: false };
        let live = LiveDay {
            snapshot,
            coverage: vec![(10, 20), (30, 45)],
            drops: 7,
            monitored: 65_536,
            monitored_basis: "darknet_prefixes",
            alerts: None,
        };
        let bytes = encode_state(&live, b"aggregates");
        let stored = decode_state(day, &bytes).expect("reads back");
        assert_eq!(
            (stored.coverage, stored.drops, stored.aggregates),
            (live.coverage.clone(), 7, b"aggregates".to_vec())
        );
        for at in [0, 9, bytes.len() / 2, bytes.len() - 1] {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x40;
            assert!(decode_state(day, &damaged).is_none(), "a flipped bit at {at}");
        }
        assert!(decode_state(day, &bytes[..bytes.len() - 1]).is_none(), "cut short");
        assert!(checked(&[0; 31]).is_none(), "shorter than a checksum");
        assert_eq!(checked(&with_checksum(b"alerts".to_vec())), Some(&b"alerts"[..]));
    }
}
