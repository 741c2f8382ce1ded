//! `/metrics`: the daemon in the Prometheus text format (0.0.4), encoded
//! with the `prometheus-client` crate from what the threads published (see
//! [`super::shared`]) at each scrape. Names follow Prometheus conventions
//! (`darkscope_…_total` counters, base units); distributions kept in
//! `hdrhistogram`s are exported as percentiles (a `percentile` label: the
//! `quantile` label is reserved for summaries) and the flush duration also
//! as a histogram.

use std::sync::Arc;

use hdrhistogram::Histogram;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use super::shared::{Shared, read};

/// Percentiles exported of each distribution.
const PERCENTILES: [f64; 5] = [50.0, 90.0, 99.0, 99.9, 100.0];
/// Bucket bounds (s) of the flush duration histogram.
const FLUSH_BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The exposition at `now` (wall clock, ns).
pub fn encode(shared: &Arc<Shared>, now: i64) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Snapshot { shared: shared.clone(), now }));
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
    out
}

#[derive(Debug)]
struct Snapshot {
    shared: Arc<Shared>,
    now: i64,
}

type Labels = Vec<(&'static str, String)>;

/// One metric family: name, help, unit, type, and its (labels, value)s.
struct Family<'a> {
    name: &'a str,
    help: &'a str,
    unit: Option<Unit>,
    counter: bool,
    values: Vec<(Labels, f64)>,
}

impl Family<'_> {
    fn encode(self, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let kind = if self.counter { MetricType::Counter } else { MetricType::Gauge };
        let mut metric = encoder.encode_descriptor(self.name, self.help, self.unit.as_ref(), kind)?;
        for (labels, value) in &self.values {
            let family = metric.encode_family(labels)?;
            if self.counter {
                ConstCounter::new(*value).encode(family)?;
            } else {
                ConstGauge::new(*value).encode(family)?;
            }
        }
        Ok(())
    }
}

fn counter<'a>(name: &'a str, help: &'a str, values: Vec<(Labels, f64)>) -> Family<'a> {
    Family { name, help, unit: None, counter: true, values }
}

fn gauge<'a>(name: &'a str, help: &'a str, values: Vec<(Labels, f64)>) -> Family<'a> {
    Family { name, help, unit: None, counter: false, values }
}

fn one(value: f64) -> Vec<(Labels, f64)> {
    vec![(Vec::new(), value)]
}

fn labelled<'a>(label: &'static str, values: impl IntoIterator<Item = (&'a str, u64)>) -> Vec<(Labels, f64)> {
    values.into_iter().map(|(k, v)| (vec![(label, k.to_string())], v as f64)).collect()
}

/// Percentiles of a histogram of µs, in seconds (or as counts).
fn percentiles(h: Option<&Histogram<u64>>, scale: f64) -> Vec<(Labels, f64)> {
    let Some(h) = h.filter(|h| !h.is_empty()) else {
        return Vec::new();
    };
    PERCENTILES
        .iter()
        .map(|&p| (vec![("percentile", p.to_string())], h.value_at_percentile(p) as f64 * scale))
        .collect()
}

fn seconds(ns: i64) -> f64 {
    ns as f64 / 1e9
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let shared = &self.shared;
        let sensor = read(&shared.sensor);
        let writer = read(&shared.writer);
        let archive = read(&shared.archive);
        let (version, geo, scanners) = read(&shared.build);
        let c = &sensor.counts;
        let healthy = super::shared::unhealthy(shared, self.now).is_none();
        let info = vec![(vec![("version", version), ("country_database", geo), ("scanner_list", scanners)], 1.0)];
        let links = read(&shared.links);
        let per_link = |f: fn(&super::links::LinkView) -> f64| -> Vec<(Labels, f64)> {
            shared.interfaces.iter().zip(&links).map(|(i, l)| (vec![("interface", i.clone())], f(l))).collect()
        };
        let per_interface = |f: fn(&crate::source::CaptureStats) -> u64| -> Vec<(Labels, f64)> {
            shared
                .interfaces
                .iter()
                .zip(&sensor.capture)
                .map(|(i, s)| (vec![("interface", i.clone())], f(s) as f64))
                .collect()
        };
        let families = vec![
            gauge("darkscope_build_info", "darkscope's version, country database and scanner list", info),
            gauge("darkscope_up", "1 while healthy (see /healthz), else 0", one(f64::from(u8::from(healthy)))),
            gauge("darkscope_start_time_seconds", "when the daemon started (Unix time)", one(seconds(shared.started))),
            counter("darkscope_records_received", "records captured and counted", one(c.records as f64)),
            counter(
                "darkscope_records",
                "records by kind (they sum to darkscope_records_received_total)",
                labelled(
                    "kind",
                    [("ipv4", c.ipv4), ("ipv6", c.ipv6), ("non_ip", c.non_ip), ("malformed", c.malformed)],
                ),
            ),
            counter(
                "darkscope_ip_packets",
                "IP packets by darknet scope (they sum to the ipv4 and ipv6 records)",
                labelled(
                    "scope",
                    [("inside", c.darknet_inside), ("outside", c.darknet_outside), ("excluded", c.excluded)],
                ),
            ),
            counter(
                "darkscope_late_records",
                "darknet packets of a day already closed (in no day)",
                one(sensor.late as f64),
            ),
            counter(
                "darkscope_darknet_packets",
                "darknet packets by protocol",
                labelled("protocol", sensor.protocols.iter().map(|(p, n)| (p.as_str(), *n))),
            ),
            counter(
                "darkscope_tcp_packets",
                "darknet TCP packets by flag class",
                labelled("flags", sensor.tcp_flags.iter().copied()),
            ),
            counter(
                "darkscope_backscatter_packets",
                "backscatter packets (replies of spoofed-DoS victims) by kind",
                labelled("kind", sensor.backscatter.iter().map(|(k, n)| (k.as_str(), *n))),
            ),
            counter(
                "darkscope_fingerprint_packets",
                "darknet packets matching a scanner's fingerprint",
                labelled(
                    "tool",
                    [
                        ("mirai", sensor.fingerprints[0]),
                        ("zmap", sensor.fingerprints[1]),
                        ("masscan", sensor.fingerprints[2]),
                    ],
                ),
            ),
            counter(
                "darkscope_alert_lines",
                "lines read from the --alerts file by kind (an alert, another event, malformed)",
                sensor.alerts.as_ref().map_or_else(Vec::new, |a| {
                    let alerts = a.counted + a.outside + a.excluded + a.late;
                    labelled("kind", [("alert", alerts), ("other_event", a.skipped), ("malformed", a.malformed)])
                }),
            ),
            counter(
                "darkscope_alerts",
                "alerts of the --alerts file by outcome: counted into an open day, outside the darknet, from an \
                 excluded source, or of a day not open (late)",
                sensor.alerts.as_ref().map_or_else(Vec::new, |a| {
                    let outcomes =
                        [("counted", a.counted), ("outside", a.outside), ("excluded", a.excluded), ("late", a.late)];
                    labelled("outcome", outcomes)
                }),
            ),
            counter(
                "darkscope_capture_received",
                "libpcap's received packets (ps_recv)",
                per_interface(|s| s.received),
            ),
            counter(
                "darkscope_capture_dropped",
                "dropped, the capture buffer full (ps_drop)",
                per_interface(|s| s.dropped),
            ),
            counter(
                "darkscope_capture_interface_dropped",
                "dropped by the interface or its driver (ps_ifdrop)",
                per_interface(|s| s.if_dropped),
            ),
            gauge(
                "darkscope_interface_up",
                "1 while the capture interface is up with a carrier, else 0",
                per_link(|l| f64::from(u8::from(l.state == crate::source::LinkState::Up))),
            ),
            counter(
                "darkscope_interface_downs",
                "times the capture interface went down or lost its carrier",
                per_link(|l| l.downs as f64),
            ),
            counter("darkscope_flushes", "flushes written into the store", one(writer.flushes as f64)),
            counter("darkscope_flush_failures", "flushes that failed", one(writer.failures as f64)),
            gauge(
                "darkscope_last_flush_success_timestamp_seconds",
                "when the last flush that succeeded ended (Unix time)",
                writer.last_success.map(|t| one(seconds(t))).unwrap_or_default(),
            ),
            Family {
                name: "darkscope_flush_duration_percentile",
                help: "percentiles of the flush duration",
                unit: Some(Unit::Seconds),
                counter: false,
                values: percentiles(writer.durations.as_ref(), 1e-6),
            },
            Family {
                name: "darkscope_batch_latency_percentile",
                help: "percentiles of the time from a packet's capture timestamp to its counting",
                unit: Some(Unit::Seconds),
                counter: false,
                values: percentiles(sensor.batch_latency.as_ref(), 1e-6),
            },
            gauge(
                "darkscope_open_day_packets",
                "darknet packets of each open day, at the last flush",
                sensor.open_days.iter().map(|(d, p, _)| (vec![("day", d.clone())], *p as f64)).collect(),
            ),
            gauge(
                "darkscope_open_day_sources",
                "distinct sources of each open day, at the last flush",
                sensor.open_days.iter().map(|(d, _, s)| (vec![("day", d.clone())], *s as f64)).collect(),
            ),
            gauge(
                "darkscope_open_day_source_packets_percentile",
                "percentiles of the packets per source of the newest open day, at the last flush",
                sensor.source_packets.iter().map(|(p, v)| (vec![("percentile", p.to_string())], *v as f64)).collect(),
            ),
            counter("darkscope_archive_files", "archive files finished", one(archive.files as f64)),
            Family {
                name: "darkscope_archive",
                help: "bytes of the archive files finished (compressed)",
                unit: Some(Unit::Bytes),
                counter: true,
                values: one(archive.bytes as f64),
            },
        ];
        for family in families {
            family.encode(&mut encoder)?;
        }
        flush_histogram(writer.durations.as_ref(), &mut encoder)
    }
}

/// The flush duration as a Prometheus histogram, its buckets counted from
/// the hdrhistogram.
fn flush_histogram(h: Option<&Histogram<u64>>, encoder: &mut DescriptorEncoder) -> Result<(), std::fmt::Error> {
    let empty = Histogram::<u64>::new(3).ok();
    let Some(h) = h.or(empty.as_ref()) else {
        return Ok(());
    };
    // Each bucket's own count: the encoder adds them up, and adds +Inf.
    let mut below = 0;
    let buckets: Vec<(f64, u64)> = FLUSH_BUCKETS
        .iter()
        .map(|&b| {
            let upto = h.count_between(0, (b * 1e6) as u64);
            let n = upto.saturating_sub(below);
            below = upto;
            (b, n)
        })
        .collect();
    let sum = h.mean() * h.len() as f64 * 1e-6;
    let mut metric = encoder.encode_descriptor(
        "darkscope_flush_duration",
        "how long flushes took",
        Some(&Unit::Seconds),
        MetricType::Histogram,
    )?;
    metric.encode_histogram::<prometheus_client::encoding::NoLabelSet>(sum, h.len(), &buckets, None)
}
