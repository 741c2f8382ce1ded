//! The `alerts` table: a run's IDS alerts of one day, one row per
//! (source, signature, protocol, destination port) with its count, the
//! signature's attack method and its raw id, revision, text, category and
//! severity (so a store can be ranked again by another mapping without
//! replaying), and the source's country and origin AS.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt8Array, UInt16Array, UInt32Array, UInt64Array};
use arrow_schema::{ArrowError, DataType, Field};

use super::tables::{batch, dict, dict_column, repeated};
use crate::aggregate::alerts::{AlertKey, Signature};
use crate::classify::asn::AsnDb;
use crate::classify::geo::CountryDb;

/// `alerts` of one day: `rows` sorted, each signature an index into
/// `signatures`.
pub fn alerts(
    sensor: &str,
    rows: &[(AlertKey, u64)],
    signatures: &[Signature],
    geo: &CountryDb,
    asn: Option<&AsnDb>,
) -> Result<RecordBatch, ArrowError> {
    let fields = vec![
        Field::new("sensor", dict(), false),
        Field::new("source", DataType::Utf8, false),
        Field::new("country", dict(), false),
        Field::new("asn", DataType::UInt32, true),
        Field::new("method", dict(), false),
        Field::new("gid", DataType::UInt32, false),
        Field::new("sid", DataType::UInt32, false),
        Field::new("rev", DataType::UInt32, false),
        Field::new("signature", dict(), false),
        Field::new("category", dict(), false),
        Field::new("severity", DataType::UInt8, false),
        Field::new("proto", dict(), false),
        Field::new("port", DataType::UInt16, true),
        Field::new("alerts", DataType::UInt64, false),
    ];
    let sig = |k: &AlertKey| &signatures[k.signature as usize];
    let countries: Vec<String> = rows.iter().map(|(k, _)| geo.lookup(k.src.to_ip()).to_string()).collect();
    let protos: Vec<String> = rows.iter().map(|(k, _)| k.proto.name().into_owned()).collect();
    let numbers = |f: fn(&Signature) -> u32| {
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(|(k, _)| f(sig(k))))) as ArrayRef
    };
    let columns: Vec<ArrayRef> = vec![
        repeated(sensor, rows.len()),
        Arc::new(StringArray::from_iter_values(rows.iter().map(|(k, _)| k.src.to_string()))),
        dict_column(countries.iter().map(|c| Some(c.as_str()))),
        Arc::new(UInt32Array::from_iter(rows.iter().map(|(k, _)| asn.and_then(|db| db.lookup(k.src))))),
        dict_column(rows.iter().map(|(k, _)| Some(&*sig(k).method))),
        numbers(|s| s.gid),
        numbers(|s| s.sid),
        numbers(|s| s.rev),
        dict_column(rows.iter().map(|(k, _)| Some(sig(k).text.as_str()))),
        dict_column(rows.iter().map(|(k, _)| Some(sig(k).category.as_str()))),
        Arc::new(UInt8Array::from_iter_values(rows.iter().map(|(k, _)| sig(k).severity))),
        dict_column(protos.iter().map(|p| Some(p.as_str()))),
        Arc::new(UInt16Array::from_iter(rows.iter().map(|(k, _)| k.port))),
        Arc::new(UInt64Array::from_iter_values(rows.iter().map(|(_, n)| *n))),
    ];
    batch(fields, columns)
}
