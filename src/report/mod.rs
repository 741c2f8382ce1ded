//! Reports: of a replay run (the summary JSON `darkscope.summary/1` and the
//! human summary printed on a terminal), and the analyst report over a
//! store ([`analysis`]: rankings and comparisons, `darkscope.report/1`, as
//! Markdown, JSON, CSV or one HTML page with SVG charts).

pub mod analysis;
pub mod render;
pub mod sql;

pub use analysis::period::Period;
pub use analysis::{Report, ReportOptions, build, hourly_ports};
pub use render::html::render as render_html;
pub use render::markdown::render as render_markdown;
pub use render::summary::summary_json;
pub use render::terminal::render_terminal;

use crate::aggregate::Aggregator;
use crate::source::ReadReport;

/// What was read from one input.
#[derive(Clone, Debug)]
pub struct InputInfo {
    pub path: String,
    pub read: ReadReport,
}

/// Where the monitored-address count came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitoredBasis {
    /// The size of the union of the IPv4 `--darknet` prefixes.
    DarknetPrefixes,
    /// `--monitored N`.
    Flag,
    /// Distinct darknet destinations seen (IPv6 prefixes or no `--darknet`).
    SeenDestinations,
    /// A darknet of both families: the size of the IPv4 prefixes plus the
    /// distinct IPv6 destinations seen.
    PrefixesAndIpv6Seen,
}

impl MonitoredBasis {
    pub fn name(self) -> &'static str {
        match self {
            MonitoredBasis::DarknetPrefixes => "darknet_prefixes",
            MonitoredBasis::Flag => "monitored_flag",
            MonitoredBasis::SeenDestinations => "distinct_destinations_seen",
            MonitoredBasis::PrefixesAndIpv6Seen => "darknet_prefixes_and_distinct_ipv6_seen",
        }
    }
}

/// Everything about a run besides the aggregates.
#[derive(Clone, Debug)]
pub struct RunInfo {
    pub inputs: Vec<InputInfo>,
    /// Run-level warnings (darknet configuration, skipped files, …).
    pub warnings: Vec<String>,
    pub monitored: u64,
    pub monitored_basis: MonitoredBasis,
    pub geo_description: String,
    /// `--max-gap`: coverage's outage threshold.
    pub max_gap_secs: f64,
    /// The DoS attacks found in the backscatter, by the profile named, and
    /// the IPv4 addresses their estimated rates are scaled by.
    pub attacks: Vec<crate::aggregate::Attack>,
    pub dos_profile: Option<crate::aggregate::DosProfile>,
    pub monitored_ipv4: u64,
    /// The scan events found, by the rules named (None: not looked for).
    pub scans: Vec<crate::aggregate::Scan>,
    pub scan_rules: Option<crate::aggregate::ScanRules>,
    /// The IDS alerts read (None: no `--alerts`).
    pub alerts: Option<AlertsRun>,
}

/// The IDS alerts of a run (`--alerts`).
#[derive(Clone, Debug, Default)]
pub struct AlertsRun {
    pub book: crate::aggregate::alerts::AlertBook,
    /// Each file read, and what reading it found.
    pub files: Vec<(String, crate::decode::AlertsRead)>,
    /// Where the attack-method mapping came from.
    pub methods: String,
    /// Files skipped: the store holds them already.
    pub notes: Vec<String>,
}

/// The per-IP-per-day denominator: Σ over days of (covered seconds ÷
/// 86 400) × monitored addresses.
pub fn address_days(agg: &Aggregator, monitored: u64) -> f64 {
    agg.coverage.seconds_by_day().values().map(|s| s / 86_400.0).sum::<f64>() * monitored as f64
}

/// Packets per address per day, or `None` when nothing was covered.
pub fn per_ip_day(packets: u64, address_days: f64) -> Option<f64> {
    (address_days > 0.0).then(|| packets as f64 / address_days)
}
