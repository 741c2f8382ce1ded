//! `replay --alerts`: finds the alert files its arguments name (files,
//! folders, globs), reads each into the run's [`AlertBook`] by the
//! attack-method mapping (`--methods`, else the bundled one). And
//! `capture --alerts`: the followed file and its counting, continued from
//! the store.

use std::path::{Path, PathBuf};

use super::store::StoreRun;
use super::{CaptureArgs, Failure, ReplayArgs};
use crate::aggregate::alert_state::AlertState;
use crate::aggregate::alerts::AlertBook;
use crate::classify::Telescope;
use crate::classify::methods::Methods;
use crate::daemon::alerts::LiveAlerts;
use crate::daemon::log::log;
use crate::decode::read_alerts;
use crate::report::AlertsRun;
use crate::source::follow::Follower;
use crate::source::open_text;
use crate::store::LiveStore;

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
    let mut methods = methods(args.methods.as_deref())?;
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

/// The mapping `--methods` names, else the bundled one.
fn methods(path: Option<&Path>) -> Result<Methods, Failure> {
    match path {
        None => Ok(Methods::bundled()),
        Some(path) => Methods::open(path).map_err(|e| Failure::Usage(format!("--methods: {e}"))),
    }
}

/// `capture --alerts`: the alert counting, continued from the state the
/// store's live part holds, and the file followed from where that state
/// ends (from the file's end on a first run).
pub fn follow(
    args: &CaptureArgs,
    telescope: &Telescope,
    store: &LiveStore,
) -> Result<Option<(LiveAlerts, Follower)>, Failure> {
    let Some(path) = &args.alerts else {
        return Ok(None);
    };
    let mut alerts = LiveAlerts::new(methods(args.methods.as_deref())?, telescope.clone());
    let state = store.alert_state().map_err(|e| Failure::Usage(format!("--store {}: {e}", store.dir().display())))?;
    if let Some(bytes) = state {
        let state = AlertState::decode(&bytes).ok_or_else(|| {
            Failure::Usage(format!("--store {}: the alerts' state does not parse", store.dir().display()))
        })?;
        alerts.restore(state);
    }
    let from = alerts.position();
    let follower = Follower::open(path, from)
        .map_err(|e| Failure::Usage(format!("--alerts {}: {e}; give a file the daemon can read", path.display())))?;
    let at = follower.position();
    let how = match (from, follower.rotated()) {
        (_, Some(old)) => format!(
            "from byte {} of its rotated copy {} (where the store's count ends), then the new file from its start",
            at.offset,
            old.display()
        ),
        (None, _) => "from its end (a first run)".to_string(),
        (Some(p), None) if (p.dev, p.ino) == (at.dev, at.ino) => {
            format!("from byte {} (where the store's count ends)", at.offset)
        }
        (Some(_), None) => "from its start (it was rotated since the store's count ended)".to_string(),
    };
    log!(Info, "following --alerts {} {how}", path.display());
    Ok(Some((alerts, follower)))
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
