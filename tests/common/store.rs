//! Store fixtures shared by the store and report tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Writes a research-scanner list naming the generator's three Japanese
/// blocks (see src/generate/geo.rs) as `organisation`, and gives its path:
/// the sources it tags are exactly the truth's JP sources.
pub fn jp_scanner_list(dir: &Path, organisation: &str) -> String {
    let path = dir.join("scanners.txt");
    let blocks = ["126.134.0.0/16", "124.96.0.0/18", "122.255.128.0/20"];
    let lines: String = blocks.iter().map(|b| format!("{b} {organisation}\n")).collect();
    std::fs::write(&path, format!("# source: test\n{lines}")).expect("writing the scanner list");
    path.to_string_lossy().into_owned()
}

/// `darkscope generate` of `packets` packets from `sources` sources over
/// `days` days from `start` into `dir/<start>.pcap`: its path and the
/// ground truth's packets per day.
pub fn generate_days(
    dir: &Path,
    start: &str,
    days: u32,
    packets: u32,
    sources: u32,
) -> (String, BTreeMap<String, u64>) {
    let path = dir.join(format!("{start}.pcap")).to_string_lossy().into_owned();
    let (days, packets, sources) = (days.to_string(), packets.to_string(), sources.to_string());
    let args = ["--packets", &packets, "--days", &days, "--start", start, "--sources", &sources];
    super::cli::ok(&[&["generate", "--out", &path][..], &args].concat());
    let truth = std::fs::read(format!("{path}.truth.json")).expect("reading the truth file");
    let truth: serde_json::Value = serde_json::from_slice(&truth).expect("truth JSON");
    (path, super::json::as_counts(&truth["summary"]["days"]))
}

/// Every file below `dir` (a store), recursively.
pub fn files(dir: &Path) -> BTreeSet<PathBuf> {
    let mut found = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("listing the store") {
            let path = entry.expect("listing the store").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.insert(path);
            }
        }
    }
    found
}

/// The entry file of part `part` of `sensor` in the store's `manifest.d`.
pub fn entry_path(store: &Path, sensor: &str, part: &str) -> PathBuf {
    store.join("manifest.d").join(format!("{sensor}-{part}.json"))
}

/// The store's manifest as `{"parts": [...]}`: the union of its entry files
/// (`manifest.d/<sensor>-<part>.json`, each `{"schema", "part"}`), read
/// here as DESIGN describes them, sorted by file name.
pub fn manifest(store: &Path) -> serde_json::Value {
    let mut names: Vec<PathBuf> = match std::fs::read_dir(store.join("manifest.d")) {
        Ok(listing) => listing.map(|e| e.expect("an entry").path()).collect(),
        Err(_) => Vec::new(),
    };
    names.retain(|p| {
        let name = p.file_name().expect("a name").to_string_lossy().into_owned();
        name.ends_with(".json") && !name.starts_with('.')
    });
    names.sort();
    let parts: Vec<serde_json::Value> = names
        .iter()
        .map(|path| {
            let entry: serde_json::Value =
                serde_json::from_slice(&std::fs::read(path).expect("an entry file")).expect("entry JSON");
            assert_eq!(entry["schema"], "darkscope.manifest/1", "{}", path.display());
            entry["part"].clone()
        })
        .collect();
    serde_json::json!({ "parts": parts })
}

/// Whether the store holds a commit's journal (`.commit-<pid>-<n>.json`):
/// a write past its commit point, not finished yet.
pub fn journal(store: &Path) -> bool {
    std::fs::read_dir(store).is_ok_and(|listing| {
        listing.flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".commit") && name.ends_with(".json")
        })
    })
}
