//! `darkscope generate`: synthetic telescope traffic with ground truth.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

use super::Failure;
use super::args::parse_cidr;
use crate::classify::Cidr;
use crate::generate::{GenerateConfig, GenerateError, generate};
use crate::time::Day;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output capture (classic pcap; '.gz' or '.zst' compresses it). The
    /// ground truth goes to FILE.truth.json.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Number of packets.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub packets: u64,

    /// Number of UTC days the traffic spans.
    #[arg(long, value_name = "D", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,

    /// Random seed: the same seed and flags give byte-identical files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,

    /// Number of distinct source addresses (1 to 12,000,000; every one
    /// appears when --packets is at least this).
    #[arg(long, value_name = "N", default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=12_000_000))]
    pub sources: u32,

    /// First UTC day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", default_value = "2024-01-01")]
    pub start: String,

    /// The darknet the traffic is sent to (one IPv4 prefix).
    #[arg(long, value_name = "CIDR", default_value = "198.18.0.0/16", value_parser = parse_cidr)]
    pub darknet: Cidr,

    /// Plant known events: 'two-period' (second half of the days: 5555/tcp
    /// surges, 445/tcp falls, 37215/tcp appears, Vietnamese sources rise, a
    /// German DoS victim's backscatter appears), 'gap' (no traffic 12:00-15:00
    /// UTC on the first day) or 'events' (DoS attacks and scan campaigns at
    /// exact times, above and just below the thresholds, listed in the truth;
    /// needs --days 2 or more and a darknet of 300 addresses or more). The
    /// truth file then has per-day numbers.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<crate::generate::Scenario>,

    /// Also write FILE.eve.json: the Suricata EVE alerts an IDS would raise
    /// on the capture's packets (a quarter of the SYNs, UDP and pings to
    /// eleven services, one rule per attack method), with their counts per
    /// method and country in the truth. The capture itself is the same as
    /// without this flag. Replay it with `--alerts FILE.eve.json`.
    #[arg(long)]
    pub alerts: bool,
}

pub fn run(args: GenerateArgs) -> Result<(), Failure> {
    let start = Day::parse(&args.start)
        .ok_or_else(|| Failure::Usage(format!("--start '{}' is not a date: use YYYY-MM-DD", args.start)))?;
    let IpAddr::V4(network) = args.darknet.addr else {
        return Err(Failure::Usage(format!(
            "--darknet {}: generate writes IPv4 only; give an IPv4 prefix",
            args.darknet
        )));
    };
    if args.packets == 0 {
        return Err(Failure::Usage("--packets must be at least 1".into()));
    }
    let config = GenerateConfig {
        out: args.out.clone(),
        packets: args.packets,
        days: args.days,
        seed: args.seed,
        sources: args.sources,
        start,
        darknet: (u32::from(network), args.darknet.len),
        scenario: args.scenario,
        alerts: args.alerts,
    };
    let started = std::time::Instant::now();
    match generate(&config) {
        Ok(_) => {}
        Err(GenerateError::Config(why)) => return Err(Failure::Usage(why)),
        Err(e) => {
            return Err(Failure::Work(anyhow::Error::new(e).context(format!("generating {}", args.out.display()))));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let alerts = match args.alerts {
        true => format!(", its IDS alerts to {}", crate::generate::eve::eve_path(&args.out).display()),
        false => String::new(),
    };
    eprintln!(
        "darkscope: wrote {} packets to {} ({:.1} M packets/s){alerts} and its ground truth to {}.truth.json",
        args.packets,
        args.out.display(),
        args.packets as f64 / secs.max(1e-9) / 1e6,
        args.out.display()
    );
    Ok(())
}
