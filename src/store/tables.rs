//! The store's tables as Arrow record batches, one batch per table and
//! day. Column names and types here are the store's schema; the README
//! documents each column. The day itself is not a column inside the files:
//! it is the Hive partition (`day=YYYY-MM-DD`) of the path.

use std::sync::Arc;

use arrow_array::builder::{StringBuilder, StringDictionaryBuilder, UInt16Builder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int32Array, RecordBatch, StringArray,
    TimestampNanosecondArray, UInt16Array, UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};

use crate::aggregate::{
    Aggregator, DayTables, HourlyRow, Pending, SourceDay, ToolLabel, VictimKey, country_from_index, country_index,
    split_source_port_key,
};
use crate::classify::ScannerList;
use crate::classify::asn::AsnDb;
use crate::classify::geo::CountryDb;
use crate::decode::{Addr, IpProto};
use crate::time::Day;

/// Columns with a value per row (addresses): worth neither a dictionary
/// nor min/max statistics (a string comparison per row).
pub const ADDRESS_COLUMNS: [&str; 3] = ["source", "address", "victim"];

/// Numbers that seldom repeat within a day (nanosecond timestamps, byte
/// sums): a dictionary would hash every value only to be given up once it
/// outgrew its page.
pub const DISTINCT_NUMBER_COLUMNS: [&str; 3] = ["first_seen", "last_seen", "bytes"];

/// Strings of a few values each, found in every row group (the sensor,
/// one per file; countries, protocols, tool labels, scanner organisations):
/// min/max statistics would seldom let a reader skip a row group, yet cost
/// a string comparison per row (a tenth of `replay --store`'s CPU on the
/// benchmark capture). A reader filtering on them scans a dictionary page
/// of a few values instead.
pub const LOW_CARDINALITY_COLUMNS: [&str; 12] = [
    "sensor",
    "country",
    "proto",
    "tool",
    "scanner",
    "kind",
    "victim_proto",
    "monitored_basis",
    "scan_type",
    "method",
    "signature",
    "category",
];

/// The tables, by directory name (`alerts` only in parts of runs with
/// `--alerts`).
pub const TABLES: [&str; 9] = [
    "sources",
    "source_ports",
    "darknet_addrs",
    "ports_hourly",
    "backscatter",
    "coverage",
    "attacks",
    "scans",
    "alerts",
];

/// One row of `coverage`: a sensor's day.
#[derive(Clone, Copy, Debug, Default)]
pub struct DayCoverage {
    pub seconds: f64,
    pub monitored: u64,
    pub packets: u64,
    pub bytes: u64,
    /// Distinct sources.
    pub sources: u64,
    /// Packets the capture dropped (live capture; 0 on replay).
    pub drops: u64,
}

pub(super) fn utc_timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

/// Strings that repeat a lot (sensor, country, protocol) are dictionary
/// encoded in memory; Parquet stores them as dictionaries either way.
pub(super) fn dict() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

pub(super) fn batch(fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<RecordBatch, ArrowError> {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
}

/// A dictionary column holding `value` in each of `rows` rows.
pub(super) fn repeated(value: &str, rows: usize) -> ArrayRef {
    let keys = Int32Array::from(vec![0; rows]);
    Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(StringArray::from(vec![value]))))
}

pub(super) fn dict_column<'a>(values: impl Iterator<Item = Option<&'a str>>) -> ArrayRef {
    let mut b = StringDictionaryBuilder::<Int32Type>::new();
    for v in values {
        b.append_option(v);
    }
    Arc::new(b.finish())
}

/// A dictionary column of `values[key]` per row (null for `None`), for
/// columns whose values the caller already knows by number: no string is
/// hashed per row. Values no row uses cost nothing in the file (Parquet
/// writes the dictionary of the values present).
fn keyed_column(keys: impl Iterator<Item = Option<usize>>, values: &[&str]) -> ArrayRef {
    let keys = Int32Array::from_iter(keys.map(|k| k.map(|k| k as i32)));
    Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::new(StringArray::from(values.to_vec()))))
}

/// Every country code by [`country_index`] (the last one is `ZZ`).
fn country_codes() -> Vec<String> {
    (0..=676).map(|i| country_from_index(i).to_string()).collect()
}

/// The protocols of the port tables, by [`proto_key`].
const PROTOS: [&str; 2] = ["tcp", "udp"];

fn proto_key(proto: IpProto) -> usize {
    usize::from(proto == IpProto::UDP)
}

/// An address as text into `out` (cleared first): dotted quads without
/// the formatter (millions per day), others as `Addr` displays them.
fn addr_text(addr: Addr, out: &mut String) {
    out.clear();
    match addr.as_v4() {
        Some(v4) => {
            for (i, octet) in v4.to_be_bytes().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                if octet >= 100 {
                    out.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    out.push(char::from(b'0' + octet / 10 % 10));
                }
                out.push(char::from(b'0' + octet % 10));
            }
        }
        None => {
            use std::fmt::Write;
            let _ = write!(out, "{addr}");
        }
    }
}

fn proto_name(proto: IpProto) -> &'static str {
    if proto == IpProto::UDP { "udp" } else { "tcp" }
}

/// `sources`: one row per source per day (the per-IP-per-day table); the
/// sources `rows` of the day (in order of first appearance).
pub fn sources(
    sensor: &str,
    day: &DayTables,
    scanners: &ScannerList,
    asn: Option<&AsnDb>,
    rows: std::ops::Range<usize>,
) -> Result<RecordBatch, ArrowError> {
    let records = &day.sources.records()[rows.clone()];
    let addrs = &day.sources.addrs()[rows];
    let n = records.len();
    let mut source = StringBuilder::with_capacity(n, n * 14);
    let mut text = String::new();
    for &addr in addrs {
        addr_text(addr, &mut text);
        source.append_value(&text);
    }
    let codes = country_codes();
    let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
    // In declaration order, so `label as usize` is a label's key.
    let tool_names = [ToolLabel::Mirai, ToolLabel::Masscan, ToolLabel::Zmap].map(ToolLabel::name);
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("source", DataType::Utf8, false),
        Field::new("packets", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
        Field::new("distinct_ports", DataType::UInt32, false),
        Field::new("distinct_addrs", DataType::UInt32, false),
        Field::new("first_seen", utc_timestamp(), false),
        Field::new("last_seen", utc_timestamp(), false),
        Field::new("syn_packets", DataType::UInt64, false),
        Field::new("country", dict(), false),
        Field::new("asn", DataType::UInt32, true),
        Field::new("tool", dict(), true),
        Field::new("scanner", dict(), true),
        Field::new("syn_all_mirai", DataType::Boolean, true),
        Field::new("syn_all_masscan", DataType::Boolean, true),
        Field::new("syn_all_zmap", DataType::Boolean, true),
    ];
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, n),
        Arc::new(source.finish()),
        Arc::new(UInt64Array::from_iter_values(records.iter().map(|r| r.packets))),
        Arc::new(UInt64Array::from_iter_values(records.iter().map(|r| r.bytes))),
        Arc::new(UInt32Array::from_iter_values(records.iter().map(|r| r.distinct_ports))),
        Arc::new(UInt32Array::from_iter_values(records.iter().map(|r| r.distinct_addrs))),
        Arc::new(TimestampNanosecondArray::from_iter_values(records.iter().map(|r| r.first_seen)).with_timezone("UTC")),
        Arc::new(TimestampNanosecondArray::from_iter_values(records.iter().map(|r| r.last_seen)).with_timezone("UTC")),
        Arc::new(UInt64Array::from_iter_values(records.iter().map(|r| r.syn_packets()))),
        keyed_column(records.iter().map(|r| Some(country_index(r.country))), &codes),
        Arc::new(UInt32Array::from_iter(addrs.iter().map(|&a| asn.and_then(|db| db.lookup(a))))),
        keyed_column(records.iter().map(|r| r.tool_label().map(|t| t as usize)), &tool_names),
        dict_column(addrs.iter().map(|&a| scanners.lookup(a))),
        syn_all(records, Pending::MIRAI),
        syn_all(records, Pending::MASSCAN),
        syn_all(records, Pending::ZMAP),
    ];
    batch(fields, columns)
}

/// Whether every SYN of each record matched `tool`'s fingerprint (null
/// without SYNs): what a reader needs to decide a source-day's tool label
/// over the rows of all its parts (README, "The store").
fn syn_all(records: &[SourceDay], tool: u8) -> ArrayRef {
    let all = records.iter().map(|r| (r.syn_packets() > 0).then_some(r.syn_misses() & tool == 0));
    Arc::new(BooleanArray::from_iter(all))
}

/// `source_ports`: packets per (source, protocol, destination port) per day;
/// `runs` are (at most `n` of) the day's (key, packets) runs, sorted.
pub fn source_ports(
    sensor: &str,
    day: &DayTables,
    runs: impl Iterator<Item = (u64, u64)>,
    n: usize,
) -> Result<RecordBatch, ArrowError> {
    let addrs = day.sources.addrs();
    let mut source = StringBuilder::with_capacity(n, n * 14);
    let mut protos = Vec::with_capacity(n);
    let mut ports = Vec::with_capacity(n);
    let mut packets = Vec::with_capacity(n);
    // Runs come sorted by source number, so each address is formatted once.
    let (mut last, mut text) = (None, String::new());
    for (key, count) in runs {
        let (id, proto, port) = split_source_port_key(key);
        if last != Some(id) {
            addr_text(addrs[id as usize], &mut text);
            last = Some(id);
        }
        source.append_value(&text);
        protos.push(Some(proto_key(proto)));
        ports.push(port);
        packets.push(count);
    }
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("source", DataType::Utf8, false),
        Field::new("proto", dict(), false),
        Field::new("port", DataType::UInt16, false),
        Field::new("packets", DataType::UInt64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, packets.len()),
        Arc::new(source.finish()),
        keyed_column(protos.into_iter(), &PROTOS),
        Arc::new(UInt16Array::from(ports)),
        Arc::new(UInt64Array::from(packets)),
    ];
    batch(fields, columns)
}

/// `darknet_addrs`: packets per darknet destination address per day.
pub fn darknet_addrs(sensor: &str, day: &DayTables) -> Result<RecordBatch, ArrowError> {
    let mut rows: Vec<_> = day.darknet_addrs.iter().filter(|(_, packets)| *packets > 0).collect();
    rows.sort_unstable_by_key(|(addr, _)| *addr);
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("address", DataType::Utf8, false),
        Field::new("packets", DataType::UInt64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, rows.len()),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(a, _)| a.to_string()))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|(_, p)| *p))),
    ];
    batch(fields, columns)
}

/// `ports_hourly`: packets per (hour, protocol, destination port); `rows`
/// are one day's.
pub fn ports_hourly(sensor: &str, rows: &[HourlyRow]) -> Result<RecordBatch, ArrowError> {
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("hour", utc_timestamp(), false),
        Field::new("proto", dict(), false),
        Field::new("port", DataType::UInt16, false),
        Field::new("packets", DataType::UInt64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, rows.len()),
        Arc::new(
            TimestampNanosecondArray::from_iter_values(rows.iter().map(HourlyRow::start_nanos)).with_timezone("UTC"),
        ),
        keyed_column(rows.iter().map(|r| Some(proto_key(r.proto))), &PROTOS),
        Arc::new(UInt16Array::from_iter_values(rows.iter().map(|r| r.port))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.packets))),
    ];
    batch(fields, columns)
}

/// `backscatter`: packets per (victim, kind, victim port) per day, with
/// the victim's country; `rows` are one day's, sorted.
pub fn backscatter(sensor: &str, rows: &[(VictimKey, u64)], geo: &CountryDb) -> Result<RecordBatch, ArrowError> {
    let countries: Vec<String> = rows.iter().map(|(k, _)| geo.lookup(k.victim.to_ip()).to_string()).collect();
    let kinds: Vec<String> = rows.iter().map(|(k, _)| k.kind.key()).collect();
    let mut port = UInt16Builder::with_capacity(rows.len());
    for (k, _) in rows {
        port.append_option(k.port.map(|(_, port)| port));
    }
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("victim", DataType::Utf8, false),
        Field::new("kind", dict(), false),
        Field::new("victim_proto", dict(), true),
        Field::new("victim_port", DataType::UInt16, true),
        Field::new("country", dict(), false),
        Field::new("packets", DataType::UInt64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, rows.len()),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(k, _)| k.victim.to_string()))),
        dict_column(kinds.iter().map(|k| Some(k.as_str()))),
        dict_column(rows.iter().map(|(k, _)| k.port.map(|(proto, _)| proto_name(proto)))),
        Arc::new(port.finish()),
        dict_column(countries.iter().map(|c| Some(c.as_str()))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|(_, p)| *p))),
    ];
    batch(fields, columns)
}

/// `coverage`: one row per sensor per day.
pub fn coverage(sensor: &str, cover: DayCoverage, basis: &str) -> Result<RecordBatch, ArrowError> {
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("seconds", DataType::Float64, false),
        Field::new("monitored", DataType::UInt64, false),
        Field::new("monitored_basis", dict(), false),
        Field::new("packets", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
        Field::new("sources", DataType::UInt64, false),
        Field::new("drops", DataType::UInt64, false),
    ];
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, 1),
        Arc::new(Float64Array::from(vec![cover.seconds])),
        Arc::new(UInt64Array::from(vec![cover.monitored])),
        repeated(basis, 1),
        Arc::new(UInt64Array::from(vec![cover.packets])),
        Arc::new(UInt64Array::from(vec![cover.bytes])),
        Arc::new(UInt64Array::from(vec![cover.sources])),
        Arc::new(UInt64Array::from(vec![cover.drops])),
    ];
    batch(fields, columns)
}

/// The backscatter rows of each day, sorted by key.
pub fn victims_by_day(agg: &Aggregator) -> std::collections::BTreeMap<Day, Vec<(VictimKey, u64)>> {
    let mut all: Vec<(VictimKey, u64)> = agg.victims.iter().map(|(k, v)| (*k, *v)).collect();
    all.sort_unstable();
    let mut by_day: std::collections::BTreeMap<Day, Vec<(VictimKey, u64)>> = Default::default();
    for row in all {
        by_day.entry(row.0.day).or_default().push(row);
    }
    by_day
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_print_as_the_standard_formatter_does() {
        let mut text = String::new();
        for v4 in [0u32, 0x0102_0304, 0xc612_0a05, 0x0a00_00ff, 0x6364_0a09, u32::MAX] {
            addr_text(Addr::v4(v4), &mut text);
            assert_eq!(text, std::net::Ipv4Addr::from(v4).to_string());
        }
        let v6 = Addr::v6("2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
        addr_text(v6, &mut text);
        assert_eq!(text, v6.to_string());
    }
}
