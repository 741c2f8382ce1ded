//! The command line: clap definitions and the one place the pipeline
//! stages are wired together. Errors get their context here, at the edge,
//! and map to DESIGN.md's exit statuses: 0 success, 1 failure while working,
//! 2 bad usage caught before any work.

mod alerts;
mod args;
mod capture;
mod config;
mod generate;
mod replay;
mod report;
mod store;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub use args::{CaptureArgs, Cli, Command, ReplayArgs, ReportArgs};
pub use generate::GenerateArgs;

/// A failure with the exit status it maps to.
#[derive(Debug)]
pub enum Failure {
    /// Bad usage (exit 2): the message names the culprit and the fix.
    Usage(String),
    /// A failure while working (exit 1).
    Work(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Failure {
        Failure::Work(e)
    }
}

impl Failure {
    /// A store error: bad usage when the store given cannot be one this
    /// darkscope writes (a file, another schema), else a failure while
    /// working, with `context`.
    pub fn store(e: crate::store::StoreError, context: String) -> Failure {
        use crate::store::StoreError;
        match e {
            StoreError::NotAFolder { .. } | StoreError::Version { .. } | StoreError::DayOffset { .. } => {
                Failure::Usage(e.to_string())
            }
            e => Failure::Work(anyhow::Error::new(e).context(context)),
        }
    }
}

/// The exit status of `report --alerts` when an alert fired.
pub const ALERTED: u8 = 3;

/// Runs the binary: parses arguments, dispatches, prints errors.
pub fn main() -> ExitCode {
    run(std::env::args_os().collect())
}

/// Parses a command line (`argv[0]` the program) as [`main`] does, its
/// `--config` file read: the message [`main`] would print if it is wrong.
/// (The `config` fuzz target's way in.)
pub fn check_args(argv: Vec<OsString>) -> Result<(), String> {
    Cli::try_parse_from(config::expand(argv)?).map(drop).map_err(|e| e.to_string())
}

/// Runs the command line `argv` (`argv[0]` the program) as the binary does.
pub fn run(argv: Vec<OsString>) -> ExitCode {
    let argv = match config::expand(argv) {
        Ok(argv) => argv,
        Err(message) => {
            eprintln!("darkscope: error: {message}");
            return ExitCode::from(2);
        }
    };
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => return clap_failure(e),
    };
    let done = |()| ExitCode::SUCCESS;
    let result = match cli.command {
        Command::Replay(args) => replay::run(args).map(done),
        Command::Capture(args) => capture::run(args).map(done),
        Command::Report(args) => report::run(args).map(|alerted| match alerted {
            true => ExitCode::from(ALERTED),
            false => ExitCode::SUCCESS,
        }),
        Command::Generate(args) => generate::run(args).map(done),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Usage(message)) => {
            eprintln!("darkscope: error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Work(e)) => {
            eprintln!("darkscope: error: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

/// An error and its causes on one line, `: `-separated; a cause whose
/// text the line already holds (an error that prints its source too) is
/// not repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// clap's errors span several lines; usage errors become one line naming
/// the culprit and the fix (help and version go out unchanged).
fn clap_failure(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = e.print();
        return ExitCode::from(if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand { 2 } else { 0 });
    }
    let text = e.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        // clap's tip about `--` helps nobody who mistyped a flag.
        if line.is_empty()
            || line.starts_with("Usage:")
            || line.starts_with("For more information")
            || line.starts_with("tip: to pass")
        {
            continue;
        }
        parts.push(line.trim_start_matches("error: ").to_string());
    }
    let subcommand =
        std::env::args().nth(1).filter(|a| matches!(a.as_str(), "replay" | "report" | "generate" | "capture"));
    let help = match subcommand {
        Some(sub) => format!("darkscope {sub} --help"),
        None => "darkscope --help".to_string(),
    };
    eprintln!("darkscope: error: {} (see '{help}')", parts.join("; "));
    ExitCode::from(2)
}
