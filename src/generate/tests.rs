//! Tests of the generator: determinism, the truth's internal sums, the
//! samplers and checksums against hand-computed values, and the pcap layout
//! read back by hand.

use std::path::{Path, PathBuf};

use super::frame::{checksum, sum16};
use super::rng::{Alias, Rng, pareto, zipf_weights};
use super::*;

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("darkscope-gen-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn cfg(out: &Path, packets: u64, seed: u64) -> GenerateConfig {
    GenerateConfig { out: out.to_path_buf(), packets, seed, sources: 2_000, ..GenerateConfig::default() }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, b, c) = (tmp("a.pcap"), tmp("b.pcap"), tmp("c.pcap"));
    let ta = generate(&cfg(&a, 20_000, 7)).unwrap();
    let tb = generate(&cfg(&b, 20_000, 7)).unwrap();
    generate(&cfg(&c, 20_000, 8)).unwrap();
    let (ba, bb, bc) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), std::fs::read(&c).unwrap());
    assert!(ba == bb, "same seed must give the same bytes");
    assert!(ba != bc, "another seed must give other bytes");
    assert_eq!(ta.summary, tb.summary);
    // The truth files differ only in the recorded output name.
    let ja = std::fs::read_to_string(truth_path(&a)).unwrap();
    let jb = std::fs::read_to_string(truth_path(&b)).unwrap();
    assert_eq!(ja.replace("a.pcap", "b.pcap"), jb);
}

#[test]
fn alerts_leave_the_capture_as_it_was_and_their_truth_adds_up() {
    let (a, b) = (tmp("alerts-a.pcap"), tmp("alerts-b.pcap"));
    let scenario = Some(Scenario::TwoPeriod);
    let with = GenerateConfig { alerts: true, days: 4, scenario, ..cfg(&a, 20_000, 5) };
    let truth = generate(&with).unwrap();
    generate(&GenerateConfig { alerts: false, days: 4, scenario, ..cfg(&b, 20_000, 5) }).unwrap();
    assert!(std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(), "the capture must not change");
    let alerts = truth.alerts.expect("the alerts' truth");
    let lines = std::fs::read_to_string(eve::eve_path(&a)).unwrap();
    let count = |kind: &str| lines.lines().filter(|l| l.contains(&format!("\"event_type\":\"{kind}\""))).count() as u64;
    assert_eq!(count("alert"), alerts.alerts);
    assert_eq!(alerts.inside + alerts.outside, alerts.alerts);
    assert_eq!((count("flow"), count("stats")), (alerts.alerts / 50, 1));
    let periods: Vec<(&str, &str)> = alerts.periods.iter().map(|p| (p.from.as_str(), p.to.as_str())).collect();
    assert_eq!(periods, [("2024-01-01", "2024-01-02"), ("2024-01-03", "2024-01-04")]);
    let in_periods: u64 = alerts.periods.iter().map(|p| p.alerts).sum();
    assert_eq!(in_periods, alerts.inside);
    for p in &alerts.periods {
        assert_eq!(p.methods.values().map(|m| m.alerts).sum::<u64>(), p.alerts);
        assert_eq!(p.countries.values().map(|c| c.alerts).sum::<u64>(), p.alerts);
        assert!(p.methods.values().all(|m| (1..=m.alerts).contains(&m.sources)));
    }
    assert!(!alerts.periods[0].methods.contains_key("SERVER-OTHER"), "37215/tcp only in the period");
    assert!(alerts.periods[1].methods["SERVER-OTHER"].alerts > 0);
}

#[test]
fn truth_sums_hold() {
    let out = tmp("sums.pcap");
    let t = generate(&cfg(&out, 50_000, 3)).unwrap();
    let s = &t.summary;
    assert_eq!(s.records, 50_000);
    assert_eq!(s.records, s.ipv4 + s.ipv6 + s.non_ip + s.malformed);
    assert_eq!(s.darknet_inside + s.darknet_outside + s.excluded, s.ipv4 + s.ipv6);
    assert_eq!(s.packets, s.darknet_inside);
    let proto = |k: &str| s.protocols.get(k).copied().unwrap_or(0);
    assert_eq!(s.protocols.values().sum::<u64>(), s.packets);
    let f = &s.tcp_flags;
    assert_eq!(f.syn + f.syn_ack + f.rst + f.rst_ack + f.other + f.unknown, proto("tcp"));
    let ports: u64 = s.dst_ports.values().sum();
    assert_eq!(ports + s.no_dst_port.non_first_fragment + s.no_dst_port.truncated, proto("tcp") + proto("udp"));
    assert_eq!(s.icmp_types.values().sum::<u64>(), proto("icmp"));
    assert_eq!(s.days.values().sum::<u64>(), s.packets);
    assert_eq!(s.days.len(), 3);
    assert_eq!(s.countries.values().sum::<u64>(), s.packets);
    let bs_kinds: u64 = s.backscatter.iter().filter(|(k, _)| *k != "total").map(|(_, v)| v).sum();
    assert_eq!(s.backscatter["total"], bs_kinds);
    assert_eq!(s.backscatter["total"], f.syn_ack + f.rst + f.rst_ack + bs_kinds - f.syn_ack - f.rst - f.rst_ack);
    // Every configured source appears (packets ≥ sources), plus victims/routers.
    assert!(s.unique_sources >= 2_000 && s.unique_sources <= 2_000 + 52, "{}", s.unique_sources);
    assert!(s.countries.contains_key("ZZ") && s.countries.len() == 16);
    // Each planted class is present.
    assert!(s.no_dst_port.non_first_fragment > 0 && s.no_dst_port.truncated > 0);
    assert!(s.icmp_types.contains_key("icmp/unknown") && s.icmp_types.contains_key("icmp/11"));
    assert!(s.fingerprints.mirai > 0 && s.fingerprints.zmap > 0 && s.fingerprints.masscan > 0);
    assert!(f.unknown > 0 && f.other > 0 && f.rst > 0 && f.rst_ack > 0 && f.syn_ack > 0);
    assert_eq!(t.sources.len(), 100);
}

#[test]
fn zipf_and_pareto_by_hand() {
    // Zipf s = 1 over 3 ranks: 1, 1/2, 1/3 → 6/11, 3/11, 2/11.
    let w = zipf_weights(3, 1.0);
    assert_eq!(w, vec![1.0, 0.5, 1.0 / 3.0]);
    let a = Alias::new(&w).unwrap();
    for (p, want) in a.probabilities().iter().zip([6.0 / 11.0, 3.0 / 11.0, 2.0 / 11.0]) {
        assert!((p - want).abs() < 1e-9, "{p} vs {want}");
    }
    // Zipf s = 2 over 2 ranks: 1, 1/4 → 4/5, 1/5; sampled frequencies agree.
    let a = Alias::new(&zipf_weights(2, 2.0)).unwrap();
    let mut rng = Rng::new(1, 0);
    let hits = (0..100_000).filter(|_| a.sample(&mut rng) == 0).count();
    assert!((79_000..81_000).contains(&hits), "{hits}");
    // Pareto inverse CDF: x_m / u^(1/α); u = 1/4, α = 2, x_m = 1 → 2; u = 1 → x_m.
    assert_eq!(pareto(0.25, 1.0, 2.0), 2.0);
    assert_eq!(pareto(1.0, 3.0, 1.2), 3.0);
    assert_eq!(pareto(0.125, 1.0, 3.0), 2.0);
    assert!(Alias::new(&[]).is_none() && Alias::new(&[0.0, 0.0]).is_none());
}

#[test]
fn rfc1071_checksums() {
    // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2 (folded).
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    let sum = sum16(&data, 0);
    assert_eq!((sum & 0xffff) + (sum >> 16), 0xddf2);
    assert_eq!(checksum(&data), !0xddf2u16);
    // A classic IPv4 header (192.168.0.1 → 192.168.0.199, UDP): checksum b861.
    let mut h = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
        0x00, 0xc7,
    ];
    assert_eq!(checksum(&h), 0xb861);
    h[10..12].copy_from_slice(&0xb861u16.to_be_bytes());
    assert_eq!(checksum(&h), 0);
    // Odd length: the last byte is padded with zero.
    assert_eq!(checksum(&[0x01]), !0x0100u16);
}

#[test]
fn pcap_reads_back_by_hand() {
    let out = tmp("layout.pcap");
    let t = generate(&cfg(&out, 10_000, 5)).unwrap();
    let b = std::fs::read(&out).unwrap();
    let u32le = |o: usize| u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
    assert_eq!(u32le(0), 0xa1b2_c3d4);
    assert_eq!(u16::from_le_bytes([b[4], b[5]]), 2);
    assert_eq!(u16::from_le_bytes([b[6], b[7]]), 4);
    assert_eq!(u32le(16), 65_535);
    assert_eq!(u32le(20), 1);
    let (mut off, mut n, mut last, mut bytes) = (24usize, 0u64, 0u64, 0u64);
    let (mut ip_ok, mut short, mut max_gap) = (0u64, 0u64, 0u64);
    let start = 1_704_067_200u64 * 1_000_000;
    while off < b.len() {
        let ts = u64::from(u32le(off)) * 1_000_000 + u64::from(u32le(off + 4));
        let (cap, orig) = (u32le(off + 8) as usize, u32le(off + 12) as usize);
        assert!(u32le(off + 4) < 1_000_000 && cap <= orig && cap <= 65_535);
        assert!(ts >= last && ts >= start && ts < start + 3 * 86_400_000_000);
        let prev = if n == 0 { start } else { last };
        max_gap = max_gap.max(ts - prev);
        last = ts;
        let f = &b[off + 16..off + 16 + cap];
        assert_eq!(&f[12..14], &[0x08, 0x00]);
        bytes += u64::from(u16::from_be_bytes([f[16], f[17]]));
        if cap >= 34 && checksum(&f[14..34]) == 0 {
            ip_ok += 1;
        }
        if cap < orig {
            short += 1;
        }
        off += 16 + cap;
        n += 1;
    }
    assert_eq!(off, b.len());
    max_gap = max_gap.max(start + 3 * 86_400_000_000 - last);
    assert!(max_gap <= 600_000_000, "no gap over 10 minutes, got {max_gap} µs");
    assert_eq!(n, 10_000);
    assert_eq!(ip_ok, 10_000, "every IPv4 header checksum verifies");
    assert_eq!(bytes, t.bytes);
    assert!(short > 0);
}

#[test]
fn compressed_outputs_decompress_to_the_plain_file() {
    use std::io::Read;
    let (p, g, z) = (tmp("z.pcap"), tmp("z.pcap.gz"), tmp("z.pcap.zst"));
    for path in [&p, &g, &z] {
        generate(&cfg(path, 5_000, 9)).unwrap();
    }
    let plain = std::fs::read(&p).unwrap();
    let mut gz = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&g).unwrap()).read_to_end(&mut gz).unwrap();
    assert!(gz == plain);
    let zs = zstd::decode_all(std::fs::File::open(&z).unwrap()).unwrap();
    assert!(zs == plain);
}

#[test]
fn bad_configs_are_refused_and_io_errors_name_the_file() {
    let out = tmp("bad.pcap");
    let c = GenerateConfig { days: 0, ..cfg(&out, 10, 1) };
    assert!(matches!(generate(&c), Err(GenerateError::Config(_))));
    let c = GenerateConfig { sources: 0, ..cfg(&out, 10, 1) };
    assert!(matches!(generate(&c), Err(GenerateError::Config(_))));
    let missing = Path::new("/nonexistent-dir/x.pcap");
    let err = generate(&cfg(missing, 10, 1)).unwrap_err();
    assert!(err.to_string().contains("/nonexistent-dir/x.pcap"), "{err}");
    // Tiny runs still work: one source, one packet.
    let c = GenerateConfig { sources: 1, ..cfg(&out, 1, 1) };
    assert_eq!(generate(&c).unwrap().summary.records, 1);
}

/// Speed check: `cargo test --release --lib generate::tests::speed -- --ignored --nocapture`.
#[test]
#[ignore]
fn speed() {
    let out = std::env::var_os("DARKSCOPE_GEN_OUT").map_or_else(|| tmp("speed.pcap"), PathBuf::from);
    let packets = std::env::var("DARKSCOPE_GEN_PACKETS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let c = GenerateConfig { out: out.clone(), packets, ..GenerateConfig::default() };
    let t0 = std::time::Instant::now();
    let t = generate(&c).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(&out).unwrap().len();
    let mpps = packets as f64 / 1e6 / secs;
    println!("{packets} packets in {secs:.2} s = {mpps:.2} Mpkt/s, {size} bytes, {} sources", t.summary.unique_sources);
}

/// Every block of the generator's tables lies inside one network of the
/// bundled database of the listed country (ZZ: a network without one), so
/// the truth's countries are what a correct replay must find.
#[test]
fn every_block_is_its_country_in_the_bundled_database() {
    let db = crate::classify::geo::CountryDb::bundled().unwrap();
    for block in super::geo::BLOCKS.iter().chain(super::geo::WIDE_BLOCKS) {
        let (first, count) = super::geo::range_of(block);
        for addr in [first, first + count - 1] {
            let (cc, prefix) = db.lookup_network(std::net::IpAddr::V4(addr.into()));
            assert_eq!(cc.as_str().as_bytes(), block.2, "{block:?}: {}", std::net::Ipv4Addr::from(addr));
            assert!(prefix <= block.1 || cc.is_unknown(), "{block:?}: /{prefix}");
        }
    }
}

/// Above 250,000 sources the generator also draws from the wide blocks:
/// every source still appears, with its country known.
#[test]
fn wide_runs_draw_from_the_wide_blocks() {
    let out = tmp("wide.pcap");
    let c = GenerateConfig { sources: 300_000, ..cfg(&out, 400_000, 5) };
    let t = generate(&c).unwrap();
    // Scanners, DoS victims and the routers that report them.
    let expected = 300_000 + super::model::VICTIMS + super::model::ROUTERS;
    assert_eq!(t.summary.unique_sources, expected as u64);
    let in_wide = t.sources.iter().filter(|(addr, _)| {
        let addr: u32 = addr.parse::<std::net::Ipv4Addr>().unwrap().into();
        super::geo::WIDE_BLOCKS.iter().any(|b| {
            let (first, count) = super::geo::range_of(b);
            addr.wrapping_sub(first) < count
        })
    });
    assert!(in_wide.count() > 0, "none of the 100 busiest sources is in a wide block");
    let _ = std::fs::remove_file(&out);
}

/// The `events` scenario's scan runs have the counts, times and tool
/// labels of the plan, stated here by hand, and the written probes carry
/// exactly the fingerprints of their tool (read back from the pcap).
#[test]
fn planted_scans_are_the_hand_stated_plan() {
    let out = tmp("scans.pcap");
    let c = GenerateConfig { days: 2, sources: 4_000, scenario: Some(Scenario::Events), ..cfg(&out, 20_000, 9) };
    let t = generate(&c).unwrap();
    let (sec, h) = (1_000i64, 3_600_000i64);
    // name, type, port, packets, addresses, kept, tool, first and last seen (ms from the start).
    type Row = (&'static str, &'static str, u16, u64, u64, bool, Option<&'static str>, i64, i64);
    #[rustfmt::skip]
    let plan: [Row; 13] = [
        ("zmap-8088", "tcp_syn", 8088, 300, 300, true, Some("zmap"), h, h + 299 * sec),
        ("mirai-23", "tcp_syn", 23, 150, 150, true, Some("mirai"), 3 * h, 3 * h + 298 * sec),
        ("masscan-6379-repeats", "tcp_syn", 6379, 130, 110, true, Some("masscan"), 5 * h, 5 * h + 387 * sec),
        ("generic-syn-22", "tcp_syn", 22, 200, 200, true, None, 7 * h, 7 * h + 199 * sec),
        ("99-addresses", "tcp_syn", 445, 130, 99, false, None, 9 * h, 9 * h + 258 * sec),
        ("ack-scan-at-the-threshold", "tcp_other", 80, 100, 100, true, None, 11 * h, 11 * h + 396 * sec),
        ("before-a-481s-pause", "tcp_syn", 3389, 80, 80, false, None, 13 * h, 13 * h + 79 * sec),
        ("after-a-481s-pause", "tcp_syn", 3389, 80, 80, false, None, 13 * h + 560 * sec, 13 * h + 639 * sec),
        ("across-a-480s-pause", "tcp_syn", 5900, 120, 120, true, None, 26 * h, 26 * h + 598 * sec),
        ("udp-161-before-a-600s-pause", "udp", 161, 120, 120, true, None, 30 * h, 30 * h + 119 * sec),
        ("udp-161-after-a-600s-pause", "udp", 161, 110, 110, true, None, 30 * h + 719 * sec, 30 * h + 828 * sec),
        ("udp-53-across-midnight", "udp", 53, 240, 240, true, None, 24 * h - 300 * sec, 24 * h + 297_500),
        ("icmp-echo-sweep", "icmp", 8, 150, 150, true, None, 34 * h, 34 * h + 149 * sec),
    ];
    let scans = t.scans.as_ref().unwrap();
    assert_eq!(scans.len(), plan.len());
    let start_ns = 1_704_067_200i64 * 1_000_000_000;
    for (s, p) in scans.iter().zip(&plan) {
        let got = (s.name.as_str(), s.scan_type.as_str(), s.port, s.packets, s.darknet_addrs, s.kept);
        assert_eq!(got, (p.0, p.1, p.2, p.3, p.4, p.5));
        assert_eq!(s.tool.as_deref(), p.6, "{}", s.name);
        assert_eq!((s.first_seen_ns - start_ns, s.last_seen_ns - start_ns), (p.7 * 1_000_000, p.8 * 1_000_000));
    }
    let wide: Vec<(u64, &str)> = t.wide_sources.iter().flatten().map(|w| (w.distinct_ports, w.day.as_str())).collect();
    assert_eq!(wide, [(150, "2024-01-02"), (12, "2024-01-02")]);
    assert_eq!(t.attacks.as_ref().map(Vec::len), Some(12));
    // Every campaign its own source, none a victim.
    let mut addrs: Vec<&str> = scans.iter().map(|s| s.source.as_str()).collect();
    addrs.extend(t.wide_sources.iter().flatten().map(|w| w.source.as_str()));
    addrs.extend(t.attacks.iter().flatten().map(|a| a.victim.as_str()));
    addrs.sort_unstable();
    addrs.dedup();
    assert_eq!(addrs.len(), 11 + 2 + 9, "plans 7 and 9 share a source, two attack plans a victim");

    // Read the probes back: per source, its SYNs' fingerprints (mirai, masscan, zmap), packets, outside.
    let b = std::fs::read(&out).unwrap();
    let be32 = |f: &[u8], o: usize| u32::from_be_bytes([f[o], f[o + 1], f[o + 2], f[o + 3]]);
    let mut per: std::collections::BTreeMap<u32, ([u64; 4], u64, u64)> = Default::default();
    let mut off = 24;
    while off < b.len() {
        let cap = u32::from_le_bytes([b[off + 8], b[off + 9], b[off + 10], b[off + 11]]) as usize;
        let f = &b[off + 16..off + 16 + cap];
        off += 16 + cap;
        let (src, dst, id) = (be32(f, 26), be32(f, 30), u32::from(u16::from_be_bytes([f[18], f[19]])));
        let e = per.entry(src).or_default();
        e.1 += 1;
        e.2 += u64::from(dst >> 16 != 0xc612); // outside 198.18.0.0/16
        if f[23] == 6 && f.len() >= 54 && f[47] & 0x12 == 0x02 {
            let (dport, seq) = (u32::from(u16::from_be_bytes([f[36], f[37]])), be32(f, 38));
            e.0[0] += 1;
            e.0[1] += u64::from(seq == dst);
            e.0[2] += u64::from(id == (dst ^ dport ^ seq) & 0xffff);
            e.0[3] += u64::from(id == 54321);
        }
    }
    for s in scans.iter().filter(|s| s.scan_type == "tcp_syn") {
        let addr: u32 = s.source.parse::<std::net::Ipv4Addr>().unwrap().into();
        let ([syn, mirai, masscan, zmap], _, _) = per[&addr];
        let want = |tool: &str| if s.tool.as_deref() == Some(tool) { syn } else { 0 };
        assert_eq!((mirai, masscan, zmap), (want("mirai"), want("masscan"), want("zmap")), "{}", s.name);
    }
    // The campaigns' sources sent their planned probes and nothing else, all into the darknet.
    let mut planted: Vec<&str> = scans.iter().map(|s| s.source.as_str()).collect();
    planted.extend(t.wide_sources.iter().flatten().map(|w| w.source.as_str()));
    planted.dedup();
    let sent = planted.iter().map(|a| per[&a.parse::<std::net::Ipv4Addr>().unwrap().into()]);
    let (sent, outside) = sent.fold((0, 0), |(n, o), p| (n + p.1, o + p.2));
    assert_eq!((sent, outside), (300 + 150 + 130 + 200 + 130 + 100 + 160 + 120 + 230 + 240 + 150 + 150 + 12, 0));
    let _ = std::fs::remove_file(&out);
}
