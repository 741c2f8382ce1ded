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
//! * `replay`: the file from the page cache through reader, decoder,
//!   classifier and aggregator, as `darkscope replay` runs it.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use darkscope::aggregate::Aggregator;
use darkscope::classify::geo::CountryDb;
use darkscope::classify::{CidrSet, Telescope, classify};
use darkscope::decode::{Decoded, Packet, decode};
use darkscope::generate::{GenerateConfig, generate};
use darkscope::source::{Decompress, InputSpec, LinkType, ReadReport, Record, RecordSink, open_input, read_capture};
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

criterion_group!(benches, stages);
criterion_main!(benches);
