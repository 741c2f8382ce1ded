//! Command-line flags (clap derive). The help text teaches: every flag says
//! what it is for, its default, and an example.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::generate::GenerateArgs;
use crate::aggregate::DosProfile;
use crate::classify::Cidr;
use crate::time::DayOffset;

#[derive(Debug, Parser)]
#[command(
    name = "darkscope",
    version,
    about = "Darknet (network telescope) traffic analyser",
    long_about = "darkscope reads the traffic that reaches unused address space (a darknet or \
                  network telescope) and tells what it is: scanning, botnet propagation, \
                  misconfiguration, or backscatter from spoofed-source DoS attacks. It ranks \
                  destination ports and source countries per address per day, as NICTER, \
                  TSUBAME and the NPA publish them.",
    after_help = "Examples:\n  darkscope replay captures/sample.pcap.zst --darknet 198.18.0.0/16\n  \
                  darkscope replay /data/telescope/2024-01/ --darknet 198.18.0.0/16 --summary-json out.json\n  \
                  darkscope capture --iface eth1 --darknet 198.18.0.0/16 --store /srv/darkscope/store\n  \
                  darkscope generate --out test.pcap --packets 1000000 --days 3"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay pcap/pcapng captures and summarise what reached the darknet.
    Replay(ReplayArgs),
    /// Capture live from network interfaces into the store (the sensor daemon).
    Capture(CaptureArgs),
    /// Rank ports and countries over a period of a store, compared with a baseline.
    Report(ReportArgs),
    /// Write synthetic telescope traffic with its ground truth (FILE.truth.json).
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
                        darkscope report --store /data/store\n  \
                        darkscope report --store /data/store --period 2024-04-01..2024-06-30 --format json --out q2.json\n  \
                        darkscope report --store /data/store --format html --out report.html\n  \
                        darkscope report --store /data/store --period 2024-01-08..2024-01-14 \
                        --baseline 2024-01-01..2024-01-07 --top 20 --sensor tokyo-1\n  \
                        darkscope report --store /data/store --period 2024-01-01..2024-12-31 --emit-sql spark \
                        --out report.sql\n\n\
                        Rates are packets per day per monitored address (address-days come from each sensor's \
                        coverage); changes compare those rates.")]
pub struct ReportArgs {
    /// The store written by `darkscope replay --store DIR`.
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,

    /// Days to report, inclusive UTC dates [default: every stored day].
    #[arg(long, value_name = "FROM..TO", value_parser = parse_period)]
    pub period: Option<crate::report::Period>,

    /// Days to compare with [default: the equally long period just before
    /// --period, when the store has it].
    #[arg(long, value_name = "FROM..TO", value_parser = parse_period)]
    pub baseline: Option<crate::report::Period>,

    /// Rows per ranking.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=200_000))]
    pub top: u64,

    /// The country whose sources get their own port shares (ISO 3166 alpha-2).
    #[arg(long, value_name = "CC", default_value = "JP", value_parser = parse_country)]
    pub home_country: String,

    /// Show no change for keys with fewer baseline packets than this.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub min_baseline: u64,

    /// Only these sensors (repeatable) [default: all].
    #[arg(long, value_name = "NAME", value_parser = parse_sensor)]
    pub sensor: Vec<String>,

    /// Output format: md (Markdown), html (one self-contained page with SVG
    /// charts, no network access needed), json (schema darkscope.report/1)
    /// or csv (one file per table into the folder --out names).
    #[arg(long, value_name = "FORMAT", default_value = "md", value_parser = ["md", "html", "json", "csv"])]
    pub format: String,

    /// Write the report to PATH instead of standard output (csv: the folder
    /// for its files, required).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,

    /// Print only what changed against the store's 28 days before the
    /// period (default: the newest stored day), one line per alert (with
    /// --format json the section as JSON), and exit 3 when an alert fired,
    /// 0 when none did: for cron and monitoring.
    #[arg(long)]
    pub alerts: bool,

    /// Print, instead of the report, the SQL of its core tables (totals,
    /// the port and country rankings with and without research scanners)
    /// for ENGINE, duckdb or spark, over this store's Parquet files: the
    /// same numbers as the JSON report, for a cluster when one machine is
    /// not enough (see README "When one machine is not enough").
    #[arg(long, value_name = "ENGINE", value_parser = ["duckdb", "spark"], conflicts_with = "alerts")]
    pub emit_sql: Option<String>,

    /// Read flags from a TOML file: keys are the flags' long names
    /// (`buffer-mb = 512`; a repeatable flag takes an array, a switch
    /// `true`). Flags on the command line override the file's.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
                        darkscope replay captures/sample.pcap.zst --darknet 198.18.0.0/16\n  \
                        darkscope replay /data/sensor1/ --darknet 203.0.113.0/24 --exclude 203.0.113.1/32 \
                        --summary-json day.json\n  \
                        zcat today.pcap.gz | darkscope replay - --darknet 2001:db8:dead::/48 --monitored 4096\n\n\
                        Exit status: 0 success (also with malformed records or a file cut short: those are \
                        warnings); 1 failure while working; 2 bad usage (unknown flag, invalid CIDR, missing \
                        input or one that is no capture).")]
pub struct ReplayArgs {
    /// Captures to read: files, directories (read recursively, in order of
    /// their first timestamp), globs, or '-' for standard input. pcap and
    /// pcapng, optionally gzip-, zstd- or xz-compressed (recognised by content).
    #[arg(value_name = "INPUT", required = true)]
    pub inputs: Vec<String>,

    /// The darknet's address space (repeatable; IPv4 and IPv6; overlaps are
    /// merged). Only packets to these addresses are analysed. Without it,
    /// every IP packet counts as inside (with a warning).
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub darknet: Vec<Cidr>,

    /// Drop packets from these sources (the sensor's own traffic); counted as
    /// `excluded`. Repeatable.
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub exclude: Vec<Cidr>,

    /// Number of monitored addresses for per-IP-per-day rates [default: the
    /// size of the IPv4 --darknet prefixes, else the distinct destinations seen].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub monitored: Option<u64>,

    /// Coverage: a silence longer than this many seconds counts as an outage.
    #[arg(long, value_name = "SECS", default_value_t = 600.0)]
    pub max_gap: f64,

    /// Count days from midnight at this fixed offset from UTC, in whole
    /// hours ('+09:00': JST, as NICT and the NPA count them); every day,
    /// coverage and ranking uses it. A store keeps the offset it was first
    /// written with and refuses another [default: UTC].
    #[arg(long, value_name = "±HH:00", value_parser = DayOffset::parse, allow_hyphen_values = true)]
    pub day_offset: Option<DayOffset>,

    /// Write the summary JSON (schema darkscope.summary/1) to PATH, or to
    /// standard output with '-' (the human summary then goes to stderr).
    #[arg(long, value_name = "PATH|-")]
    pub summary_json: Option<String>,

    /// Country database in MaxMind DB format (GeoLite2/GeoIP2 Country or
    /// ip-location-db) [default: the bundled IPtoASN country database].
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,

    /// Write the run's per-day tables into this store (Parquet, one folder
    /// per table, partitioned by day; created if missing). Inputs already
    /// in the store for this sensor are skipped. Several replays and
    /// daemons, also on other hosts sharing the folder, may write one store
    /// at once: an overlapping input is decided when the run commits.
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// The sensor's name in the store (letters, digits, '.', '_', '-')
    /// [default: this machine's host name].
    #[arg(long, value_name = "NAME", value_parser = parse_sensor, requires = "store")]
    pub sensor: Option<String>,

    /// Research-scanner list for the store's `scanner` column: one 'CIDR
    /// organisation' per line, '#' comments [default: the bundled list of
    /// the MISP warninglists' scanner ranges].
    #[arg(long, value_name = "FILE", requires = "store")]
    pub scanners: Option<PathBuf>,

    /// Origin-AS table for the store's `asn` columns (repeatable: the
    /// ip-location-db CSVs `start,end,asn,name` for IPv4 and IPv6, or a file
    /// of tools/make-asn-db.py) [default: the bundled RouteViews/DB-IP table].
    #[arg(long, value_name = "FILE", requires = "store")]
    pub asn_db: Vec<PathBuf>,

    /// Read inputs the store already holds again, and replace every stored
    /// part of this sensor that holds one of the inputs or overlaps them in time.
    #[arg(long, requires = "store")]
    pub replace: bool,

    /// Threads: with 2 or more, the reading thread reads, decodes,
    /// classifies and numbers sources while a second fills the per-day
    /// tables and a third folds and stores each day as it closes; a
    /// compressed input is decompressed on a fourth, ahead of the reader
    /// (more are not used yet). The output is the same for any number
    /// [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,

    /// DoS attacks in the backscatter: 'rsdos' (CAIDA: ≥ 25 packets, ≥ 60 s, ≥ 30 in a
    /// minute) or 'moore' (≥ 100 packets, ≥ 60 s); 300 s of silence ends an attack.
    #[arg(long, value_name = "PROFILE", default_value = "rsdos", value_parser = parse_dos_profile)]
    pub dos_profile: DosProfile,

    /// Scan events: a (source, port or ICMP type, traffic type) probing at
    /// least this many distinct darknet addresses is a scan (Durumeric et
    /// al.'s 100).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub scan_min_dsts: u32,

    /// Scan events end after this many seconds without a probe (more than
    /// this ends them; exactly this does not).
    #[arg(long, value_name = "SECS", default_value_t = 480, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub scan_timeout: u32,

    /// Do not look for scan events (the `scans` table and the summary's
    /// scan line stay empty; a replay is 10-20 % faster).
    #[arg(long)]
    pub no_scans: bool,

    /// Do not look for DoS attacks (the `attacks` table and the summary's
    /// DoS line stay empty; backscatter is still counted per victim).
    #[arg(long)]
    pub no_dos: bool,

    /// IDS alerts to rank by attack method beside the packets: Suricata EVE
    /// JSON (event_type alert; other events are skipped and counted) or
    /// Snort 3 alert_json lines, plain, gzip, zstd or xz; a file, a folder
    /// (every file in it) or a glob; repeatable. Alerts outside the darknet
    /// or from --exclude'd sources are counted and go no further; a
    /// malformed line is counted and named, never fatal. With --store they
    /// go into its `alerts` table, and a file already stored is skipped.
    #[arg(long, value_name = "FILE")]
    pub alerts: Vec<String>,

    /// Attack-method mapping for --alerts: TOML [[method]] entries with a
    /// name and sids (ids or "first-last") and/or signatures (regular
    /// expressions); the first match wins, else the signature's family
    /// ("ET SCAN", "INDICATOR-SCAN"), else its category [default: the
    /// bundled mapping, data/methods/methods.toml].
    #[arg(long, value_name = "FILE", requires = "alerts")]
    pub methods: Option<PathBuf>,

    /// Rows in each ranking of the human summary.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    /// Print no human summary and no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Read flags from a TOML file: keys are the flags' long names
    /// (`buffer-mb = 512`; a repeatable flag takes an array, a switch
    /// `true`). Flags on the command line override the file's.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
                        darkscope capture --iface eth1 --darknet 198.18.0.0/16 --store /srv/darkscope/store\n  \
                        darkscope capture --iface eth1,eth2 --darknet 203.0.113.0/24 --exclude 203.0.113.1/32 \
                        --store /srv/store --sensor tokyo-1 --archive /srv/archive\n  \
                        darkscope capture --iface eth1 --darknet 198.18.0.0/16 --store /srv/darkscope/store \
                        --alerts /var/log/suricata/eve.json\n\n\
                        Every --flush seconds the open days go to the store as this sensor's live part; a day is \
                        final an hour past its end (UTC). A restarted daemon continues the stored days exactly. \
                        SIGTERM/SIGINT: stop, flush, exit 0. SIGHUP: rotate the archive, reload --geoip and \
                        --scanners.\n\n\
                        Exit status: 0 stopped by a signal after a final flush; 1 a failure while capturing (the \
                        store keeps the last flush); 2 bad usage or a setup that cannot work (no such interface, \
                        no permission to capture, store not writable), before any capture.")]
pub struct CaptureArgs {
    /// Interfaces to capture on (repeatable, or comma-separated).
    #[arg(long, value_name = "IF", required = true, value_delimiter = ',')]
    pub iface: Vec<String>,

    /// The darknet's address space (repeatable; IPv4 and IPv6). Only packets
    /// to these addresses are captured (a BPF filter is built from them
    /// unless --bpf is given) and analysed.
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub darknet: Vec<Cidr>,

    /// Drop packets from these sources (the sensor's own traffic). Repeatable.
    #[arg(long, value_name = "CIDR", value_parser = parse_cidr)]
    pub exclude: Vec<Cidr>,

    /// Number of monitored addresses for per-IP-per-day rates [default: the
    /// size of the IPv4 --darknet prefixes (plus the distinct IPv6
    /// destinations seen, with IPv6 prefixes), else the destinations seen].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub monitored: Option<u64>,

    /// The store the open days are flushed into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,

    /// The sensor's name in the store [default: this machine's host name].
    #[arg(long, value_name = "NAME", value_parser = parse_sensor)]
    pub sensor: Option<String>,

    /// Count days from midnight at this fixed offset from UTC, in whole
    /// hours ('+09:00': JST); the store must have been written with the
    /// same (see `darkscope replay --help`) [default: UTC].
    #[arg(long, value_name = "±HH:00", value_parser = DayOffset::parse, allow_hyphen_values = true)]
    pub day_offset: Option<DayOffset>,

    /// Seconds between flushes of the open days into the store (a crash
    /// loses at most this much).
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub flush: u64,

    /// Also write the captured packets to rotated, zstd-compressed pcap
    /// files in DIR (whole packets unless --snaplen says otherwise).
    #[arg(long, value_name = "DIR")]
    pub archive: Option<PathBuf>,

    /// Seconds per archive file (files start at multiples of it, UTC).
    #[arg(long, value_name = "SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub rotate: u64,

    /// A BPF filter (tcpdump syntax) instead of the one built from --darknet
    /// (e.g. to capture VLAN-tagged frames: 'vlan and dst net 198.18.0.0/16').
    #[arg(long, value_name = "EXPR")]
    pub bpf: Option<String>,

    /// Bytes kept of each packet [default: 128, headers only; 262144 with --archive].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(64..=262_144))]
    pub snaplen: Option<u32>,

    /// The kernel's capture buffer per interface, MiB: what absorbs bursts
    /// while the daemon is busy.
    #[arg(long, value_name = "N", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=2047))]
    pub buffer_mb: u32,

    /// Country database (see `darkscope replay --help`) [default: bundled].
    #[arg(long, value_name = "FILE")]
    pub geoip: Option<PathBuf>,

    /// Research-scanner list for the store's `scanner` column [default: bundled].
    #[arg(long, value_name = "FILE")]
    pub scanners: Option<PathBuf>,

    /// Seconds a SIGTERM/SIGINT shutdown (stop, final flush, archive) may take.
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub shutdown_timeout: u64,

    /// Serve /metrics (Prometheus), /healthz and the live status page on
    /// ADDRESS:PORT; 'none' serves nothing. Loopback unless told otherwise.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9187")]
    pub metrics: String,

    /// /healthz answers 503 when no packet came for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_silence: u64,

    /// Become this user once the interfaces and the metrics socket are open
    /// (its groups, gid and uid); the store and archive folders must be
    /// writable by it.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Log level on standard error: error, warn, info or debug (each flush).
    #[arg(long, value_name = "LEVEL", default_value = "info", value_parser = ["error", "warn", "info", "debug"])]
    pub log_level: String,

    /// Threads for the day tables: with 2, a thread of its own fills them
    /// [default: 1; capture and archive use the other cores].
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=2))]
    pub threads: u64,

    /// Follow the IDS's alert file as it is written (Suricata's eve.json,
    /// or Snort 3's alert_json; rotation by rename or copytruncate is
    /// followed) and store its alerts with the packets, by attack method.
    /// The first run starts at the file's end; a restart continues after
    /// the last line the store counted.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,

    /// Attack-method mapping for --alerts (see `darkscope replay --help`)
    /// [default: bundled].
    #[arg(long, value_name = "FILE", requires = "alerts")]
    pub methods: Option<PathBuf>,

    /// Read flags from a TOML file: keys are the flags' long names
    /// (`buffer-mb = 512`; a repeatable flag takes an array, a switch
    /// `true`). Flags on the command line override the file's.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// A sensor name goes into file names: keep it to a safe alphabet.
pub fn parse_sensor(text: &str) -> Result<String, String> {
    let ok = !text.is_empty()
        && text.len() <= 64
        && !text.starts_with('.')
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(format!("'{text}' is not a sensor name: use 1-64 letters, digits, '.', '_' or '-' (e.g. tokyo-1)"))
    }
}

fn parse_dos_profile(text: &str) -> Result<DosProfile, String> {
    DosProfile::named(text).ok_or_else(|| format!("'{text}' is not a DoS profile: use rsdos or moore"))
}

/// `FROM..TO`, inclusive UTC dates.
pub fn parse_period(text: &str) -> Result<crate::report::Period, String> {
    let bad = || format!("'{text}' is not a period: use FROM..TO with dates YYYY-MM-DD (e.g. 2024-01-01..2024-03-31)");
    let (from, to) = text.split_once("..").ok_or_else(bad)?;
    let (from, to) = (crate::time::Day::parse(from).ok_or_else(bad)?, crate::time::Day::parse(to).ok_or_else(bad)?);
    if from > to {
        return Err(format!("'{text}': the period ends before it starts"));
    }
    Ok(crate::report::Period { from, to })
}

fn parse_country(text: &str) -> Result<String, String> {
    if text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphabetic()) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(format!("'{text}' is not a country code: use two letters (ISO 3166-1 alpha-2, e.g. JP)"))
    }
}

pub(super) fn parse_cidr(text: &str) -> Result<Cidr, String> {
    text.parse::<Cidr>().map_err(|e| e.to_string())
}
