//! Criterion benches of each pipeline stage and of a whole replay.
//!
//! The input is a `darkscope generate` capture (200 k packets, 50 k
//! sources, 3 days) written once into a temporary directory. Throughput is
//! reported per packet, so `time / packet` reads straight off the output:
//!
//! * `decode`: link → IP → L4 of every record (records held in memory);
//! * `classify`: flag class, backscatter, fingerprints of decoded packets;
//! * `aggregate`: darknet scope, classification and every per-day table,
//!   from decoded packets;
//! * `pairs`: the exact (source, port) pair counts alone: each packet's
//!   key logged, the logs radix sorted and folded (sources numbered
//!   beforehand, outside the timing);
//! * `store`: the closed days' tables written as a store part (Parquet),
//!   per packet of the capture;
//! * `replay`: the file from the page cache through reader, decoder,
//!   classifier and aggregator, as `darkscope replay` runs it.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use darkscope::aggregate::pairs::PairCounts;
use darkscope::aggregate::{Aggregator, DayTables, source_port_key};
use darkscope::classify::geo::CountryDb;
use darkscope::classify::{CidrSet, ScannerList, Telescope, classify};
use darkscope::decode::{Decoded, Packet, decode};
use darkscope::generate::{GenerateConfig, generate};
use darkscope::source::{Decompress, InputSpec, LinkType, ReadReport, Record, RecordSink, open_input, read_capture};
use darkscope::store::{PartWriter, RunProvenance};
use darkscope::time::Timestamp;

const PACKETS: u64 = 200_000;

/// Records copied out of a capture, to decode without I/O.
#[derive(Default)]
struct Collected(Vec<(Timestamp, Option<LinkType>, Vec<u8>, u32)>);

impl RecordSink for Collected {
    fn record(&mut self, r: &Record<'_>) {
        self.0.push((r.ts, r.link, r.data.to_vec(), r.orig_len));
    }
}

fn capture(dir: &Path) -> PathBuf {
    let out = dir.join("bench.pcap");
    let config = GenerateConfig { out: out.clone(), packets: PACKETS, ..GenerateConfig::default() };
    generate(&config).expect("generating the bench capture");
    out
}

fn read_into(path: &Path, sink: &mut dyn RecordSink) {
    let mut opened =
        open_input(&InputSpec::File(path.to_path_buf()), None, Decompress::Inline).expect("opening the bench capture");
    read_capture(&mut opened.stream, sink, &mut ReadReport::default()).expect("reading the bench capture");
}

fn telescope() -> Telescope {
    let darknet = CidrSet::new(&["198.18.0.0/16".parse().expect("a valid CIDR")]);
    Telescope { darknet, exclude: CidrSet::default() }
}

fn stages(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = capture(dir.path());
    let mut records = Collected::default();
    read_into(&path, &mut records);
    let packets: Vec<Packet> = records
        .0
        .iter()
        .filter_map(|(ts, link, data, orig_len)| {
            match decode(&Record { ts: *ts, link: *link, data, orig_len: *orig_len }) {
                Decoded::Ip(p) => Some(p),
                _ => None,
            }
        })
        .collect();

    let mut group = c.benchmark_group("stage");
    group.throughput(Throughput::Elements(records.0.len() as u64));
    group.bench_function("decode", |b| {
        b.iter(|| {
            for (ts, link, data, orig_len) in &records.0 {
                black_box(decode(&Record { ts: *ts, link: *link, data, orig_len: *orig_len }));
            }
        })
    });
    group.bench_function("classify", |b| {
        b.iter(|| {
            for p in &packets {
                black_box(classify(p));
            }
        })
    });
    group.sample_size(20);
    group.bench_function("aggregate", |b| {
        b.iter(|| {
            let geo = CountryDb::bundled().expect("the bundled country database");
            let mut agg = Aggregator::new(telescope(), geo, 600.0);
            for p in &packets {
                agg.count_ip(*p);
            }
            agg.finish();
            black_box(agg.unique_sources())
        })
    });
    // Each (day, source) numbered in order of first appearance, as the
    // calendar numbers a day's sources; the keys the day worker logs.
    let keys: Vec<u64> = {
        let mut numbers = std::collections::HashMap::new();
        packets
            .iter()
            .filter_map(|p| {
                let day = p.ts.day();
                let next = numbers.len() as u32;
                let id = *numbers.entry((day, p.src)).or_insert(next);
                p.dst_port().map(|port| source_port_key(id, p.proto, port))
            })
            .collect()
    };
    group.bench_function("pairs", |b| {
        b.iter(|| {
            let mut pairs = PairCounts::new(17, 17);
            for &key in &keys {
                pairs.push(key);
            }
            pairs.fold();
            black_box(pairs.len())
        })
    });
    let days = closed_days(&packets);
    let scanners = Arc::new(ScannerList::bundled().expect("the bundled scanner list"));
    group.bench_function("store", |b| {
        b.iter(|| {
            let store = tempfile::tempdir().expect("a temporary store");
            let mut part = PartWriter::new(store.path(), "bench", scanners.clone(), &provenance());
            for day in &days {
                part.write_day(day).expect("writing a day");
            }
            black_box(part.take_pending().len())
        })
    });
    group.bench_function("replay", |b| {
        b.iter(|| {
            let geo = CountryDb::bundled().expect("the bundled country database");
            let mut agg = Aggregator::new(telescope(), geo, 600.0);
            read_into(&path, &mut agg);
            agg.finish();
            black_box(agg.counts.records)
        })
    });
    group.finish();
}

/// The capture's days, closed (pair logs folded) as the store gets them.
fn closed_days(packets: &[Packet]) -> Vec<DayTables> {
    let days = Arc::new(Mutex::new(Vec::new()));
    let geo = CountryDb::bundled().expect("the bundled country database");
    let mut agg = Aggregator::new(telescope(), geo, 600.0);
    let sink = days.clone();
    agg.set_sink(Box::new(move |day| {
        sink.lock().expect("the sink's lock").push(day);
        Ok(())
    }));
    for p in packets {
        agg.count_ip(*p);
    }
    agg.finish();
    std::mem::take(&mut *days.lock().expect("the sink's lock"))
}

fn provenance() -> RunProvenance {
    RunProvenance {
        darkscope: "bench".into(),
        geo: "bundled".into(),
        scanners: None,
        darknet: vec!["198.18.0.0/16".into()],
        exclude: Vec::new(),
        max_gap_secs: 600.0,
        coverage_rule: "bench".into(),
        asn: None,
        day_offset: None,
    }
}

criterion_group!(benches, stages);
criterion_main!(benches);
