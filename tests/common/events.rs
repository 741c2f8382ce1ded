//! The `events` scenario's capture and replays of it into a store, shared
//! by the DoS attack and scan event tests.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::cli::ok;

pub const DARKNET: &str = "198.18.0.0/16";

/// Writes the `events` scenario (2 days, 150,000 packets, seed 9) into
/// `dir`; gives the capture's path and its truth.
pub fn generate(dir: &Path) -> (String, Value) {
    let out = dir.join("events.pcap");
    let out_arg = out.to_string_lossy().into_owned();
    ok(&["generate", "--out", &out_arg, "--packets", "150000", "--days", "2", "--sources", "4000"]
        .into_iter()
        .chain(["--seed", "9", "--scenario", "events"])
        .collect::<Vec<_>>());
    let truth = std::fs::read(format!("{out_arg}.truth.json")).expect("the truth file");
    (out_arg, serde_json::from_slice(&truth).expect("truth JSON"))
}

/// Replays `inputs` into a new store `dir/name` (sensor `s1`); gives the
/// store.
pub fn replay(dir: &Path, name: &str, inputs: &[String], extra: &[&str]) -> PathBuf {
    let store = dir.join(name);
    let store_arg = store.to_string_lossy().into_owned();
    let mut args = vec!["replay"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(["--darknet", DARKNET, "--store", &store_arg, "--sensor", "s1", "-q"]);
    args.extend(extra);
    ok(&args);
    store
}

/// The capture cut into 7 and 13 pieces, replayed in reverse order or in
/// order, on one thread or two: (name, store, pieces as read).
pub fn split_replays(dir: &Path, capture: &str) -> Vec<(String, PathBuf, Vec<String>)> {
    let mut out = Vec::new();
    for (pieces, threads, reversed) in [(7, "2", true), (13, "1", false), (13, "2", true)] {
        let split_dir = dir.join(format!("pieces{pieces}{threads}{reversed}"));
        std::fs::create_dir(&split_dir).expect("a folder for the pieces");
        let mut files = super::files::split_pcap(Path::new(capture), pieces, &split_dir);
        if reversed {
            files.reverse();
        }
        let name = format!("split{pieces}-{threads}-{reversed}");
        let store = replay(dir, &name, &files, &["--threads", threads]);
        out.push((name, store, files));
    }
    out
}
