//! The RS-DoS rules at their edges, with hand-counted expectations.

use super::*;

const S: i64 = NANOS_PER_SEC;
const VICTIM: Addr = Addr::v4(0x0a00_0001);

/// `n` packets of one vector, `every` ns apart from `start` ns, each to
/// its own darknet address, victim port 443, 40 bytes.
fn burst(log: &mut AttackLog, start: i64, n: i64, every: i64) {
    for i in 0..n {
        log.push(VICTIM, IpProto::TCP, start + i * every, 40, Some(443), Addr::v4(0xc612_0000 + i as u32));
    }
}

#[test]
fn the_smallest_rsdos_attack_is_found_and_one_packet_less_is_not() {
    // 31 packets 2 s apart: 60 s long, and the first window [0, 60 s)
    // holds 30 of them (0, 2, …, 58 s).
    let mut log = AttackLog::default();
    burst(&mut log, 0, 31, 2 * S);
    let found = log.detect(&DosProfile::RSDOS);
    assert_eq!(found.len(), 1);
    let a = found[0];
    assert_eq!((a.packets, a.first_seen, a.last_seen, a.peak_window_packets), (31, 0, 60 * S, 30));
    assert_eq!((a.bytes, a.victim_ports, a.darknet_addrs), (31 * 40, 1, 31));
    // 30 packets 2 s apart last 58 s: too short.
    let mut log = AttackLog::default();
    burst(&mut log, 0, 30, 2 * S);
    assert!(log.detect(&DosProfile::RSDOS).is_empty());
}

#[test]
fn a_slow_vector_misses_the_peak_and_moore_has_no_peak_condition() {
    // 120 packets 2.5 s apart (297.5 s): at most 24 in any 60 s window.
    let mut log = AttackLog::default();
    burst(&mut log, 0, 120, 2 * S + S / 2);
    assert!(log.detect(&DosProfile::RSDOS).is_empty());
    let moore = log.detect(&DosProfile::MOORE);
    assert_eq!(moore.len(), 1);
    assert_eq!((moore[0].packets, moore[0].peak_window_packets), (120, 24));
}

#[test]
fn a_gap_longer_than_the_timeout_splits_and_an_equal_one_does_not() {
    let mut log = AttackLog::default();
    burst(&mut log, 0, 40, S);
    // 39 s + 300 s: the gap equals the timeout, the vector goes on.
    burst(&mut log, 339 * S, 40, S);
    let one = log.detect(&DosProfile::RSDOS);
    assert_eq!(one.len(), 1);
    assert_eq!((one[0].packets, one[0].last_seen), (80, 378 * S));
    let mut log = AttackLog::default();
    burst(&mut log, 0, 40, S);
    burst(&mut log, 339 * S + 1, 40, S);
    let two = log.detect(&DosProfile::RSDOS);
    assert_eq!(two.len(), 0, "each half is 39 s long");
    let mut log = AttackLog::default();
    burst(&mut log, 0, 61, S);
    burst(&mut log, 361 * S, 61, S);
    let two = log.detect(&DosProfile::RSDOS);
    assert_eq!(two.iter().map(|a| (a.first_seen, a.packets)).collect::<Vec<_>>(), [(0, 61), (361 * S, 61)]);
}

#[test]
fn windows_slide_from_the_first_packet_by_ten_seconds() {
    // One packet at 0, then 30 packets at 65.0-65.29 s, one at 125 s: the
    // window [60, 120) holds the 30; [65, 125) would too, but no window
    // starts there. Duration 125 s, 32 packets.
    let mut log = AttackLog::default();
    burst(&mut log, 0, 1, S);
    burst(&mut log, 65 * S, 30, S / 100);
    burst(&mut log, 125 * S, 1, S);
    let a = log.detect(&DosProfile::RSDOS);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].peak_window_packets, 30);
    // One packet at 0, 15 at 5.5-5.64 s, 15 at 65.0-65.14 s, one at
    // 130 s: a window starting at 5.5 s would hold 30, but windows start
    // at 0, 10, 20, … s: [0, 60) holds 16, [10, 70) and [60, 120) 15.
    let mut log = AttackLog::default();
    burst(&mut log, 0, 1, S);
    burst(&mut log, 5 * S + S / 2, 15, S / 100);
    burst(&mut log, 65 * S, 15, S / 100);
    burst(&mut log, 130 * S, 1, S);
    assert!(log.detect(&DosProfile::RSDOS).is_empty());
    let any_peak = DosProfile { min_window_packets: 0, ..DosProfile::RSDOS };
    assert_eq!(log.detect(&any_peak)[0].peak_window_packets, 16);
}

#[test]
fn vectors_are_per_victim_and_protocol_and_the_order_of_packets_does_not_matter() {
    let mut forward = AttackLog::default();
    let mut backward = AttackLog::default();
    let mut packets = Vec::new();
    for i in 0..100i64 {
        let proto = if i % 2 == 0 { IpProto::TCP } else { IpProto::UDP };
        let port = (i % 3 == 0).then_some(80 + (i % 4) as u16);
        packets.push((proto, i * S, 40 + i as u32, port, Addr::v4(0xc612_0000 + (i % 7) as u32)));
    }
    for &(proto, ts, bytes, port, dst) in &packets {
        forward.push(VICTIM, proto, ts, bytes, port, dst);
    }
    for &(proto, ts, bytes, port, dst) in packets.iter().rev() {
        backward.push(VICTIM, proto, ts, bytes, port, dst);
    }
    let found = forward.detect(&DosProfile::MOORE);
    assert_eq!(found, backward.detect(&DosProfile::MOORE));
    assert!(found.is_empty(), "50 packets per vector are below Moore's 100");
    let found = forward.detect(&DosProfile::RSDOS);
    assert_eq!(found, backward.detect(&DosProfile::RSDOS));
    // TCP: even i (0..98), ports 80+(i%4) where i%6 == 0: i%4 ∈ {0, 2}.
    let tcp = found.iter().find(|a| a.proto == IpProto::TCP).expect("a TCP attack");
    assert_eq!(
        (tcp.packets, tcp.first_seen, tcp.last_seen, tcp.victim_ports, tcp.darknet_addrs),
        (50, 0, 98 * S, 2, 7)
    );
    assert_eq!(tcp.bytes, (0..50).map(|k| 40 + 2 * k).sum::<u64>());
    assert_eq!(tcp.peak_window_packets, 30);
}

#[test]
fn the_estimate_scales_by_the_share_of_ipv4_space() {
    let a = Attack {
        victim: VICTIM,
        proto: IpProto::TCP,
        first_seen: 0,
        last_seen: 100 * S,
        packets: 500,
        bytes: 0,
        peak_window_packets: 0,
        victim_ports: 0,
        darknet_addrs: 0,
    };
    // 5 packets/s seen by a /16: 5 · 65,536 at the victim.
    assert_eq!(a.estimated_pps(65_536), Some(327_680.0));
    assert_eq!(a.estimated_pps(0), None);
}
