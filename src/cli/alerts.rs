//! `replay --alerts`: finds the alert files its arguments name (files,
//! folders, globs), reads each into the run's [`AlertBook`] by the
//! attack-method mapping (`--methods`, else the bundled one).

use std::path::{Path, PathBuf};

use super::store::StoreRun;
use super::{Failure, ReplayArgs};
use crate::aggregate::alerts::AlertBook;
use crate::classify::Telescope;
use crate::classify::methods::Methods;
use crate::decode::read_alerts;
use crate::report::AlertsRun;
use crate::source::open_text;

/// Reads every alert file of `args` (None without `--alerts`) that the
/// store, if any, does not hold yet, and notes it for the store.
pub fn read(
    args: &ReplayArgs,
    telescope: &Telescope,
    mut store: Option<&mut StoreRun>,
) -> Result<Option<AlertsRun>, Failure> {
    if args.alerts.is_empty() {
        return Ok(None);
    }
    let mut methods = match &args.methods {
        None => Methods::bundled(),
        Some(path) => Methods::open(path).map_err(|e| Failure::Usage(format!("--methods: {e}")))?,
    };
    let mut run = AlertsRun { methods: methods.origin.clone(), ..AlertsRun::default() };
    let mut book = AlertBook::default();
    for path in files(&args.alerts)? {
        let hash = match store.as_deref() {
            Some(store) => match store.check_alerts(&path)? {
                (_, Some(note)) => {
                    run.notes.push(note);
                    continue;
                }
                (hash, None) => Some(hash),
            },
            None => None,
        };
        let name = path.display().to_string();
        let input = open_text(&path).map_err(|e| Failure::Work(anyhow::Error::new(e).context("reading --alerts")))?;
        let mut span: Option<(i64, i64)> = None;
        let read = read_alerts(input, &name, |alert| {
            let t = alert.ts.0;
            span = Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
            book.add(&alert, telescope, &mut methods);
        })
        .map_err(|e| Failure::Work(anyhow::Error::new(e).context(format!("reading --alerts {name}"))))?;
        if let (Some(store), Some(hash)) = (store.as_deref_mut(), hash) {
            store.read_alerts(&path, hash, span, read.alerts);
        }
        run.files.push((name, read));
    }
    run.book = book;
    Ok(Some(run))
}

/// The files `args` name, each once, in the order given (a folder's files
/// and a glob's matches sorted by name).
fn files(args: &[String]) -> Result<Vec<PathBuf>, Failure> {
    let mut out: Vec<PathBuf> = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        let mut found = if path.is_dir() {
            let mut inside = Vec::new();
            walk(path, &mut inside).map_err(|e| Failure::Usage(format!("--alerts {arg}: {e}")))?;
            inside
        } else if path.exists() {
            vec![path.to_path_buf()]
        } else if arg.contains(['*', '?', '[']) {
            let pattern = glob::glob(arg).map_err(|e| Failure::Usage(format!("--alerts {arg}: {e}")))?;
            pattern.filter_map(Result::ok).filter(|p| p.is_file()).collect()
        } else {
            return Err(Failure::Usage(format!("--alerts {arg}: no such file or folder")));
        };
        if found.is_empty() {
            return Err(Failure::Usage(format!("--alerts {arg}: no alert files there")));
        }
        found.sort();
        for f in found {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    Ok(out)
}

/// Every regular file under `dir`, subfolders included.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.is_file() {
            out.push(path);
        }
    }
    Ok(())
}
