//! `darkscope replay`: inputs → aggregator → summary JSON and terminal summary.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::store::StoreRun;
use super::{Failure, ReplayArgs};
use crate::aggregate::{Aggregator, ScanRules};
use crate::classify::geo::CountryDb;
use crate::classify::{CidrSet, Telescope};
use crate::report::{InputInfo, MonitoredBasis, RunInfo, render_terminal, summary_json};
use crate::source::{Decompress, InputSpec, ReadError, ReadReport, expand_inputs, open_input, read_capture};
use crate::store::Written;
use crate::time::NANOS_PER_SEC;

/// Below this share of IP packets inside the darknet, warn about the prefix.
const FEW_INSIDE_SHARE: f64 = 0.01;

pub fn run(args: ReplayArgs) -> Result<(), Failure> {
    // Before any day is computed.
    crate::time::set_day_offset(args.day_offset.unwrap_or_default());
    if !(args.max_gap > 0.0 && args.max_gap.is_finite()) {
        return Err(Failure::Usage(format!("--max-gap {} must be a positive number of seconds", args.max_gap)));
    }
    let (inputs, skipped) = expand_inputs(&args.inputs).map_err(|e| Failure::Usage(e.to_string()))?;
    let geo = match &args.geoip {
        None => CountryDb::bundled().context("loading the bundled country database")?,
        Some(path) => CountryDb::open(path).map_err(|e| Failure::Usage(format!("--geoip: {e}")))?,
    };
    let telescope = Telescope { darknet: CidrSet::new(&args.darknet), exclude: CidrSet::new(&args.exclude) };
    let mut agg = Aggregator::new(telescope, geo, args.max_gap);
    agg.set_scans(scan_rules(&args));
    if args.no_dos {
        agg.drop_attacks();
    }
    let threads =
        args.threads.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |n| n as usize);
    agg.set_threads(threads);
    // With a second thread, compressed inputs are decompressed ahead of the reader.
    let decompress = if threads >= 2 { Decompress::Ahead } else { Decompress::Inline };
    let mut store = StoreRun::open(&args, &mut agg)?;
    // Alerts first: a bad --methods file or alert path is refused before the long part.
    let alerts = super::alerts::read(&args, agg.telescope(), store.as_mut())?;
    let mut notes = skipped;

    let progress = progress_bar(&inputs, args.quiet);
    let mut infos = Vec::with_capacity(inputs.len());
    for input in &inputs {
        let identity = match &store {
            Some(store) => {
                let (identity, skip) = store.check(input)?;
                if let Some(note) = skip {
                    notes.push(note);
                    if let InputSpec::File(path) = input {
                        progress.inc(std::fs::metadata(path).map_or(0, |m| m.len()));
                    }
                    continue;
                }
                Some(identity)
            }
            None => None,
        };
        let bar = progress.clone();
        let opened = open_input(input, Some(Box::new(move |n| bar.inc(n))), decompress)
            .with_context(|| format!("reading {}", input.display()))?;
        progress.set_message(input.display());
        let mut stream = opened.stream;
        let mut report = ReadReport { compression: opened.compression, ..ReadReport::default() };
        match read_capture(&mut stream, &mut agg, &mut report) {
            Ok(()) => {}
            Err(e @ (ReadError::NotACapture(_) | ReadError::Empty | ReadError::UnsupportedVersion { .. })) => {
                if *input == InputSpec::Stdin {
                    return Err(Failure::Usage(format!("standard input is not a capture: {e}")));
                }
                // A file that passed the probe but fails now (it changed
                // under us): keep going, say so.
                report.warnings.push(e.to_string());
            }
            Err(ReadError::Io { offset, source }) => {
                return Err(Failure::Work(
                    anyhow::Error::new(source).context(format!("reading {} at byte {offset}", input.display())),
                ));
            }
        }
        let span = agg.end_input(&mut report);
        if let (Some(store), Some(identity)) = (&mut store, identity) {
            if report.shrank {
                // The store records inputs whole, by their hash: not this one.
                return Err(Failure::Work(anyhow::anyhow!(
                    "{} shrank while it was read (another process truncated it): nothing was stored; replay it \
                     again once it is complete",
                    input.display()
                )));
            }
            store.read(input, identity, span, report.records)?;
        }
        infos.push(InputInfo { path: input.display(), read: report });
    }
    progress.finish_and_clear();
    agg.finish();
    if let Some(e) = agg.take_sink_error() {
        return Err(Failure::Work(anyhow::Error::msg(e).context("writing a closed day into the store")));
    }

    let mut run = run_info(&agg, &args, infos, notes);
    if let Some(alerts) = alerts {
        run.warnings.extend(alerts.notes.iter().cloned());
        run.warnings.extend(alerts.files.iter().flat_map(|(_, read)| read.warnings.iter().cloned()));
        run.alerts = Some(alerts);
    }
    if let Some(profile) = &run.dos_profile {
        run.attacks = agg.attacks.detect(profile);
    }
    run.scans = agg.closed.scans.finish();
    run.warnings.extend(agg.closed.scans.reopened().map(|day| {
        format!(
            "{day} was read again after it had closed (an input older than one read before it): a scan event \
             continued by its late records may be split in two; name the inputs in time order (a folder or a glob \
             is read in time order)"
        )
    }));
    if let Some(store) = store {
        let quiet = args.quiet;
        match store.write(&agg, &run)? {
            Some((written, sensor)) if !quiet => eprintln!("{}", store_line(&written, &sensor, &args)),
            _ => {}
        }
    }
    let human = if args.quiet { String::new() } else { render_terminal(&agg, &run, args.top) };
    let summary = || summary_json(&agg, &run);
    match args.summary_json.as_deref() {
        Some("-") => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &summary()).context("writing the summary JSON")?;
            writeln!(out).context("writing the summary JSON")?;
            if !args.quiet {
                eprint!("{human}");
            }
        }
        Some(path) => {
            let text = serde_json::to_string_pretty(&summary()).context("encoding the summary JSON")?;
            std::fs::write(path, text + "\n").with_context(|| format!("writing --summary-json {path}"))?;
            if !args.quiet {
                print!("{human}");
            }
        }
        None => {
            if !args.quiet {
                print!("{human}");
            }
        }
    }
    Ok(())
}

fn run_info(agg: &Aggregator, args: &ReplayArgs, inputs: Vec<InputInfo>, skipped: Vec<String>) -> RunInfo {
    let mut warnings = skipped;
    let darknet = &agg.telescope().darknet;
    let counts = &agg.counts;
    let ip = counts.ipv4 + counts.ipv6;
    if darknet.is_empty() {
        warnings.push(
            "no --darknet given: every IP packet counts as inside the darknet; pass --darknet CIDR for \
             the telescope's address space"
                .into(),
        );
    } else if ip >= 100 && (counts.darknet_inside as f64) < FEW_INSIDE_SHARE * ip as f64 {
        let prefixes: Vec<String> = darknet.prefixes().iter().map(|c| c.to_string()).collect();
        warnings.push(format!(
            "only {} of {} IP packets fall inside --darknet {}: check the prefix",
            counts.darknet_inside,
            ip,
            prefixes.join(", ")
        ));
    }
    let (monitored, monitored_basis) = match args.monitored {
        Some(n) => (n, MonitoredBasis::Flag),
        None if !darknet.is_empty() && !darknet.has_ipv6() => (darknet.ipv4_size(), MonitoredBasis::DarknetPrefixes),
        None if darknet.ipv4_size() > 0 => {
            (darknet.ipv4_size() + agg.distinct_ipv6_darknet_addrs(), MonitoredBasis::PrefixesAndIpv6Seen)
        }
        None => (agg.distinct_darknet_addrs(), MonitoredBasis::SeenDestinations),
    };
    RunInfo {
        inputs,
        warnings,
        monitored,
        monitored_basis,
        geo_description: agg.geo().description(),
        max_gap_secs: args.max_gap,
        attacks: Vec::new(),
        dos_profile: (!args.no_dos).then_some(args.dos_profile),
        scans: Vec::new(),
        scan_rules: scan_rules(args),
        alerts: None,
        monitored_ipv4: match args.monitored {
            Some(n) => n,
            None if darknet.ipv4_size() > 0 => darknet.ipv4_size(),
            None => monitored,
        },
    }
}

/// `--scan-min-dsts` and `--scan-timeout` (None with `--no-scans`).
fn scan_rules(args: &ReplayArgs) -> Option<ScanRules> {
    let rules = ScanRules { min_dsts: args.scan_min_dsts, timeout_ns: i64::from(args.scan_timeout) * NANOS_PER_SEC };
    (!args.no_scans).then_some(rules)
}

/// What the store got, for the terminal.
fn store_line(written: &Written, sensor: &str, args: &ReplayArgs) -> String {
    let dir = args.store.as_ref().map(|d| d.display().to_string()).unwrap_or_default();
    let mut line = format!(
        "store: wrote part {} of sensor {sensor} to {dir} ({} files, {} rows)",
        written.part, written.files, written.rows
    );
    if !written.replaced.is_empty() {
        line += &format!("; replaced part {}", written.replaced.join(", "));
    }
    if !written.dropped_inputs.is_empty() {
        line += &format!(
            "\nstore: warning: replacing dropped these inputs, replay them again to restore their data: {}",
            written.dropped_inputs.join(", ")
        );
    }
    if !written.leftovers.is_empty() {
        let names: Vec<String> = written.leftovers.iter().map(|p| p.display().to_string()).collect();
        line += &format!(
            "\nstore: removed {} temporary file(s) of writers that were killed before they finished: {}",
            names.len(),
            names.join(", ")
        );
    }
    line
}

/// A byte-based progress bar on stderr, only on a terminal.
fn progress_bar(inputs: &[InputSpec], quiet: bool) -> ProgressBar {
    let total: u64 = inputs
        .iter()
        .filter_map(|i| match i {
            InputSpec::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            InputSpec::Stdin => None,
        })
        .sum();
    if quiet || !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4));
    let style = ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}
