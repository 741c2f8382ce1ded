//! IDS alerts decoded: Suricata EVE JSON and Snort 3 `alert_json`
//! lines, one JSON object a line (plain, or compressed as captures are).
//!
//! EVE lines whose `event_type` is not `alert` (flows, stats, DNS, …) are
//! skipped and counted by type. Snort 3 writes only alerts; its fields are
//! those `alert_json` was configured with: the address and port either as
//! `src_addr`/`dst_addr`/`dst_port` or joined in `src_ap`/`dst_ap`, the
//! rule as `gid`/`sid`/`rev` or `rule` (`gid:sid:rev`), the time as
//! `seconds` (epoch) or `timestamp` (`YY/MM/DD-HH:MM:SS.ffffff`, which
//! Snort writes with `-y`; without the year the line cannot be dated and is
//! malformed). A line that is not such an object is counted as malformed
//! and named in a warning (the first few); it never stops the run.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::IpAddr;

use serde::Deserialize;

use super::{Addr, IpProto};
use crate::time::{Day, NANOS_PER_SEC, Timestamp};

/// Malformed lines named one by one in the warnings; the rest are counted.
const NAMED_MALFORMED: usize = 5;

/// One alert, as an IDS reported it (its texts borrowed from the line
/// where they hold no escapes).
#[derive(Clone, Debug, PartialEq)]
pub struct Alert<'a> {
    pub ts: Timestamp,
    pub src: Addr,
    pub dst: Addr,
    pub proto: IpProto,
    /// None for protocols without ports (ICMP).
    pub dst_port: Option<u16>,
    pub gid: u32,
    pub sid: u32,
    pub rev: u32,
    pub signature: Cow<'a, str>,
    /// Suricata's category, Snort's classtype; empty when not given.
    pub category: Cow<'a, str>,
    /// 1 (highest) to 4; 0 when not given.
    pub severity: u8,
}

/// What reading one file of alerts found besides the alerts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertsRead {
    pub lines: u64,
    pub alerts: u64,
    /// Events that are not alerts, by EVE `event_type`.
    pub skipped: BTreeMap<String, u64>,
    pub malformed: u64,
    pub warnings: Vec<String>,
}

/// Reads every line of `input` (named `name` in warnings), giving each
/// alert to `each`. Fails only when `input` cannot be read.
pub fn read_alerts(input: impl BufRead, name: &str, mut each: impl FnMut(Alert<'_>)) -> std::io::Result<AlertsRead> {
    let mut read = AlertsRead::default();
    let mut input = input;
    // One buffer for every line (no allocation per line).
    let mut buffer = Vec::with_capacity(4096);
    for i in 0u64.. {
        buffer.clear();
        if input.read_until(b'\n', &mut buffer)? == 0 {
            break;
        }
        let line = buffer.strip_suffix(b"\n").unwrap_or(&buffer);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        read.lines += 1;
        match parse_line(line) {
            Ok(Line::Alert(alert)) => {
                read.alerts += 1;
                each(alert);
            }
            Ok(Line::Other(kind)) => *read.skipped.entry(kind).or_default() += 1,
            Err(why) => {
                read.malformed += 1;
                if read.warnings.len() < NAMED_MALFORMED {
                    read.warnings.push(format!("{name} line {}: {why}; the line is skipped", i + 1));
                }
            }
        }
    }
    if read.malformed > NAMED_MALFORMED as u64 {
        read.warnings.push(format!("{name}: {} more malformed lines skipped", read.malformed - NAMED_MALFORMED as u64));
    }
    Ok(read)
}

enum Line<'a> {
    Alert(Alert<'a>),
    Other(String),
}

/// The fields of either format that darkscope reads (borrowed where the
/// JSON string has no escapes).
#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    event_type: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    seconds: Option<i64>,
    #[serde(borrow)]
    src_ip: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dest_ip: Option<Cow<'a, str>>,
    dest_port: Option<u16>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alert: Option<EveAlert<'a>>,
    // Snort 3.
    #[serde(borrow)]
    src_addr: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dst_addr: Option<Cow<'a, str>>,
    dst_port: Option<u16>,
    #[serde(borrow)]
    src_ap: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dst_ap: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rule: Option<Cow<'a, str>>,
    gid: Option<u32>,
    sid: Option<u32>,
    rev: Option<u32>,
    #[serde(borrow)]
    msg: Option<Cow<'a, str>>,
    #[serde(borrow)]
    class: Option<Cow<'a, str>>,
    priority: Option<u8>,
}

#[derive(Deserialize)]
struct EveAlert<'a> {
    gid: Option<u32>,
    signature_id: Option<u32>,
    rev: Option<u32>,
    #[serde(borrow)]
    signature: Option<Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<Cow<'a, str>>,
    severity: Option<u8>,
}

fn parse_line(line: &[u8]) -> Result<Line<'_>, String> {
    let raw: Raw<'_> = serde_json::from_slice(line).map_err(|e| format!("not a JSON object of an alert ({e})"))?;
    match raw.event_type.as_deref() {
        Some("alert") => eve(raw).map(Line::Alert),
        Some(other) => Ok(Line::Other(other.to_string())),
        None if raw.rule.is_some() || raw.sid.is_some() => snort(raw).map(Line::Alert),
        None => Err("neither an EVE event (no event_type) nor a Snort alert (no rule or sid)".into()),
    }
}

fn eve(raw: Raw<'_>) -> Result<Alert<'_>, String> {
    let alert = raw.alert.ok_or("an EVE alert without its \"alert\" object")?;
    let ts = eve_time(raw.timestamp.as_deref().ok_or("no timestamp")?)?;
    let proto = protocol(raw.proto.as_deref().ok_or("no proto")?)?;
    Ok(Alert {
        ts,
        src: address(raw.src_ip.as_deref(), "src_ip")?,
        dst: address(raw.dest_ip.as_deref(), "dest_ip")?,
        proto,
        dst_port: ported(proto).then_some(raw.dest_port).flatten(),
        gid: alert.gid.unwrap_or(1),
        sid: alert.signature_id.ok_or("no alert.signature_id")?,
        rev: alert.rev.unwrap_or(0),
        signature: alert.signature.unwrap_or_default(),
        category: alert.category.unwrap_or_default(),
        severity: alert.severity.unwrap_or(0),
    })
}

fn snort(raw: Raw<'_>) -> Result<Alert<'_>, String> {
    let (mut gid, mut sid, mut rev) = (raw.gid.unwrap_or(1), raw.sid, raw.rev.unwrap_or(0));
    if let Some(rule) = raw.rule.as_deref() {
        let parts: Vec<&str> = rule.split(':').collect();
        let number = |s: &str| s.parse::<u32>().map_err(|_| format!("rule {rule:?} is not gid:sid:rev"));
        let [g, s, r] = parts[..] else { return Err(format!("rule {rule:?} is not gid:sid:rev")) };
        (gid, sid, rev) = (number(g)?, Some(number(s)?), number(r)?);
    }
    let (src, dst, dst_port) = match (raw.src_ap.as_deref(), raw.dst_ap.as_deref()) {
        (Some(src), Some(dst)) => {
            let (dst, port) = address_port(dst, "dst_ap")?;
            (address_port(src, "src_ap")?.0, dst, port)
        }
        _ => {
            (address(raw.src_addr.as_deref(), "src_addr")?, address(raw.dst_addr.as_deref(), "dst_addr")?, raw.dst_port)
        }
    };
    let ts = match (raw.seconds, raw.timestamp.as_deref()) {
        (Some(secs), _) => {
            Timestamp(secs.checked_mul(NANOS_PER_SEC).ok_or_else(|| format!("seconds {secs} is out of range"))?)
        }
        (None, Some(text)) => snort_time(text)?,
        (None, None) => return Err("no seconds or timestamp".into()),
    };
    let proto = protocol(raw.proto.as_deref().ok_or("no proto")?)?;
    Ok(Alert {
        ts,
        src,
        dst,
        proto,
        dst_port: ported(proto).then_some(dst_port).flatten(),
        gid,
        sid: sid.ok_or("no sid")?,
        rev,
        signature: raw.msg.unwrap_or_default(),
        category: raw.class.unwrap_or_default(),
        severity: raw.priority.unwrap_or(0),
    })
}

fn ported(proto: IpProto) -> bool {
    matches!(proto, IpProto::TCP | IpProto::UDP) || proto.0 == 132
}

fn address(text: Option<&str>, field: &str) -> Result<Addr, String> {
    let text = text.ok_or_else(|| format!("no {field}"))?;
    text.parse::<IpAddr>().map(Addr::from).map_err(|_| format!("{field} {text:?} is not an IP address"))
}

/// `1.2.3.4:80` or `2001:db8::1:80` (Snort's `*_ap`: the port after the last colon).
fn address_port(text: &str, field: &str) -> Result<(Addr, Option<u16>), String> {
    let bad = || format!("{field} {text:?} is not address:port");
    let (addr, port) = text.rsplit_once(':').ok_or_else(bad)?;
    let addr = addr.trim_start_matches('[').trim_end_matches(']');
    let addr = addr.parse::<IpAddr>().map(Addr::from).map_err(|_| bad())?;
    Ok((addr, port.parse::<u16>().ok()))
}

/// EVE's protocol names (Suricata writes `TCP`, `UDP`, `ICMP`, `IPv6-ICMP`,
/// `SCTP`, or the protocol number).
fn protocol(text: &str) -> Result<IpProto, String> {
    Ok(match text.to_ascii_uppercase().as_str() {
        "TCP" => IpProto::TCP,
        "UDP" => IpProto::UDP,
        "ICMP" => IpProto::ICMP,
        "IPV6-ICMP" | "ICMPV6" | "ICMP6" => IpProto(58),
        "SCTP" => IpProto(132),
        number => IpProto(number.parse().map_err(|_| format!("proto {text:?} is not a protocol"))?),
    })
}

/// `2017-04-07T22:24:37.251547+0100` (EVE; also `Z` or `+01:00`).
fn eve_time(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("timestamp {text:?} is not YYYY-MM-DDTHH:MM:SS[.f]±HHMM");
    let (date, rest) = text.split_once('T').ok_or_else(bad)?;
    let day = Day::parse(date).ok_or_else(bad)?;
    let split = rest.find(['+', '-', 'Z']).ok_or_else(bad)?;
    let (clock, zone) = rest.split_at(split);
    let offset = match zone {
        "Z" => 0,
        _ => {
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let (h, m) =
                (digits[..2].parse::<i64>().map_err(|_| bad())?, digits[2..].parse::<i64>().map_err(|_| bad())?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let minutes = h * 60 + m;
            if zone.starts_with('-') { -minutes } else { minutes }
        }
    };
    let ns = day_clock(day, clock).ok_or_else(bad)?;
    Ok(Timestamp(ns.checked_sub(offset * 60 * NANOS_PER_SEC).ok_or_else(bad)?))
}

/// `24/01/02-13:59:31.123456` (Snort 3 with `-y`; UTC unless Snort was
/// told otherwise).
fn snort_time(text: &str) -> Result<Timestamp, String> {
    let bad = || {
        format!(
            "timestamp {text:?} is not YY/MM/DD-HH:MM:SS.f (run Snort with -y, or add \"seconds\" to alert_json's fields)"
        )
    };
    let (date, clock) = text.split_once('-').ok_or_else(bad)?;
    let parts: Vec<u32> = date.split('/').map(str::parse).collect::<Result<_, _>>().map_err(|_| bad())?;
    let [y, m, d] = parts[..] else { return Err(bad()) };
    if y > 99 {
        return Err(bad());
    }
    let day = Day::from_ymd(2000 + y as i32, m, d).ok_or_else(bad)?;
    Ok(Timestamp(day_clock(day, clock).ok_or_else(bad)?))
}

/// UTC nanoseconds of `HH:MM:SS[.fraction]` on `day`.
fn day_clock(day: Day, clock: &str) -> Option<i64> {
    let (hms, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut parts = hms.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || m > 59 || s > 60 || fraction.len() > 9 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || [h, m, s].iter().any(|v| *v < 0) {
        return None;
    }
    let nanos =
        if fraction.is_empty() { 0 } else { fraction.parse::<i64>().ok()? * 10i64.pow(9 - fraction.len() as u32) };
    // A date past 2262 (or before 1677) has no nanosecond timestamp.
    let midnight = i64::from(day.0).checked_mul(86_400 * NANOS_PER_SEC)?;
    midnight.checked_add(((h * 60 + m) * 60 + s) * NANOS_PER_SEC + nanos)
}

#[cfg(test)]
#[path = "alerts_tests.rs"]
mod tests;
