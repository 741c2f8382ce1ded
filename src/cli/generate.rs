//! `darkscope generate`: synthetic telescope traffic with ground truth.

use std::net::IpAddr;

use super::{Failure, GenerateArgs};
use crate::generate::{GenerateConfig, GenerateError, generate};
use crate::time::Day;

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
    eprintln!(
        "darkscope: wrote {} packets to {} ({:.1} M packets/s) and its ground truth to {}.truth.json",
        args.packets,
        args.out.display(),
        args.packets as f64 / secs.max(1e-9) / 1e6,
        args.out.display()
    );
    Ok(())
}
