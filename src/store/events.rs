//! The event tables: `attacks`, the DoS attacks found in a run's
//! backscatter (see [`crate::aggregate::attacks`]), and `scans`, its scan
//! events (see [`crate::aggregate::scans`]), Hive-partitioned by the day
//! each event started (one crossing midnight is one row, in the partition
//! of its first day).

use std::sync::Arc;

use arrow_array::{
    ArrayRef, Float64Array, RecordBatch, StringArray, TimestampNanosecondArray, UInt16Array, UInt32Array, UInt64Array,
};
use arrow_schema::{ArrowError, DataType, Field};

use super::tables::{batch, dict, dict_column, repeated, utc_timestamp};
use crate::aggregate::{Attack, DosProfile, Scan, ScanKind};
use crate::classify::ScannerList;
use crate::classify::asn::AsnDb;
use crate::classify::geo::CountryDb;

/// `attacks`: one row per attack (`rows`: the attacks of one start day).
/// `monitored_ipv4` scales the estimated rate (see
/// [`Attack::estimated_pps`]).
pub fn attacks(
    sensor: &str,
    profile: &DosProfile,
    rows: &[Attack],
    geo: &CountryDb,
    asn: Option<&AsnDb>,
    monitored_ipv4: u64,
) -> Result<RecordBatch, ArrowError> {
    let countries: Vec<String> = rows.iter().map(|a| geo.lookup(a.victim.to_ip()).to_string()).collect();
    let protos: Vec<String> = rows.iter().map(|a| a.proto.name().into_owned()).collect();
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("victim", DataType::Utf8, false),
        Field::new("proto", dict(), false),
        Field::new("country", dict(), false),
        Field::new("asn", DataType::UInt32, true),
        Field::new("first_seen", utc_timestamp(), false),
        Field::new("last_seen", utc_timestamp(), false),
        Field::new("duration_secs", DataType::Float64, false),
        Field::new("packets", DataType::UInt64, false),
        Field::new("bytes", DataType::UInt64, false),
        Field::new("peak_packets_per_minute", DataType::UInt64, false),
        Field::new("victim_ports", DataType::UInt32, false),
        Field::new("darknet_addrs", DataType::UInt32, false),
        Field::new("estimated_pps", DataType::Float64, true),
        Field::new("profile", dict(), false),
    ];
    let timestamps = |f: fn(&Attack) -> i64| {
        Arc::new(TimestampNanosecondArray::from_iter_values(rows.iter().map(f)).with_timezone("UTC")) as ArrayRef
    };
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, rows.len()),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|a| a.victim.to_string()))),
        dict_column(protos.iter().map(|p| Some(p.as_str()))),
        dict_column(countries.iter().map(|c| Some(c.as_str()))),
        Arc::new(UInt32Array::from_iter(rows.iter().map(|a| asn.and_then(|db| db.lookup(a.victim))))),
        timestamps(|a| a.first_seen),
        timestamps(|a| a.last_seen),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(Attack::duration_secs))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|a| a.packets))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|a| a.bytes))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|a| a.peak_window_packets))),
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|a| a.victim_ports))),
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|a| a.darknet_addrs))),
        Arc::new(Float64Array::from_iter(rows.iter().map(|a| a.estimated_pps(monitored_ipv4)))),
        repeated(profile.name, rows.len()),
    ];
    batch(fields, columns)
}

/// The protocol a scan event's probes used.
fn scan_proto(scan: &Scan) -> &'static str {
    match scan.kind {
        ScanKind::TcpSyn | ScanKind::TcpOther => "tcp",
        ScanKind::Udp => "udp",
        ScanKind::Icmp if scan.source.is_v4() => "icmp",
        ScanKind::Icmp => "icmpv6",
    }
}

/// `scans`: one row per scan event (`rows`: the events of one start day).
/// `monitored` gives the share of the darknet covered, `monitored_ipv4`
/// scales the Internet-wide rate (see [`Scan::extrapolated_pps`]).
pub fn scans(
    sensor: &str,
    rows: &[Scan],
    scanners: &ScannerList,
    asn: Option<&AsnDb>,
    monitored: u64,
    monitored_ipv4: u64,
) -> Result<RecordBatch, ArrowError> {
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("source", DataType::Utf8, false),
        Field::new("scan_type", dict(), false),
        Field::new("proto", dict(), false),
        Field::new("port", DataType::UInt16, false),
        Field::new("country", dict(), false),
        Field::new("asn", DataType::UInt32, true),
        Field::new("scanner", dict(), true),
        Field::new("tool", dict(), true),
        Field::new("first_seen", utc_timestamp(), false),
        Field::new("last_seen", utc_timestamp(), false),
        Field::new("duration_secs", DataType::Float64, false),
        Field::new("packets", DataType::UInt64, false),
        Field::new("darknet_addrs", DataType::UInt32, false),
        Field::new("darknet_share", DataType::Float64, true),
        Field::new("rate_pps", DataType::Float64, true),
        Field::new("estimated_pps", DataType::Float64, true),
        Field::new("ipv4_sweep_hours", DataType::Float64, true),
    ];
    let countries: Vec<String> = rows.iter().map(|s| s.country.to_string()).collect();
    let timestamps = |f: fn(&Scan) -> i64| {
        Arc::new(TimestampNanosecondArray::from_iter_values(rows.iter().map(f)).with_timezone("UTC")) as ArrayRef
    };
    let floats = |f: &dyn Fn(&Scan) -> Option<f64>| Arc::new(Float64Array::from_iter(rows.iter().map(f))) as ArrayRef;
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, rows.len()),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|s| s.source.to_string()))),
        dict_column(rows.iter().map(|s| Some(s.kind.name()))),
        dict_column(rows.iter().map(|s| Some(scan_proto(s)))),
        Arc::new(UInt16Array::from_iter_values(rows.iter().map(|s| s.port))),
        dict_column(countries.iter().map(|c| Some(c.as_str()))),
        Arc::new(UInt32Array::from_iter(rows.iter().map(|s| asn.and_then(|db| db.lookup(s.source))))),
        dict_column(rows.iter().map(|s| scanners.lookup(s.source))),
        dict_column(rows.iter().map(|s| s.tool.map(|t| t.name()))),
        timestamps(|s| s.first_seen),
        timestamps(|s| s.last_seen),
        Arc::new(Float64Array::from_iter_values(rows.iter().map(Scan::duration_secs))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|s| s.packets))),
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|s| s.dsts))),
        floats(&|s| s.coverage(monitored)),
        floats(&|s| s.rate_pps()),
        floats(&|s| s.extrapolated_pps(monitored_ipv4)),
        floats(&|s| s.ipv4_sweep_hours(monitored_ipv4)),
    ];
    batch(fields, columns)
}
