//! The manifest on disk: one file per part, `manifest.d/<sensor>-<part>.json`
//! (DESIGN.md "Store"). Each entry is written by the writer of its part,
//! after the part's data files, under a hidden temporary name renamed into
//! place (see [`super::commit`]); the store's manifest is the union of the
//! entries. A writer therefore rewrites only the entries its commit
//! changes, never a file that lists every other writer's parts.
//!
//! A store written before entries had one `manifest.json` listing every
//! part. It is read as before (an entry of the same part wins over its
//! line there), and the next write converts it: that commit writes every
//! part's entry and removes `manifest.json` last, so a crash in between
//! leaves both, which read as the same union.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::manifest::{MANIFEST, Manifest, Part, SCHEMA, check_part};

/// The folder of the manifest's entries.
pub const ENTRIES: &str = "manifest.d";

/// One entry file.
#[derive(Serialize, Deserialize)]
struct EntryFile {
    schema: String,
    part: Part,
}

/// Where the entry of `part` of `sensor` lives in the store at `dir`.
pub fn entry_path(dir: &Path, sensor: &str, part: &str) -> PathBuf {
    dir.join(ENTRIES).join(format!("{sensor}-{part}.json"))
}

/// The bytes of `part`'s entry file.
pub fn entry_json(part: &Part) -> Vec<u8> {
    let file = EntryFile { schema: SCHEMA.into(), part: part.clone() };
    let mut text = serde_json::to_vec_pretty(&file).unwrap_or_default();
    text.push(b'\n');
    text
}

/// Whether `dir` holds a darkscope store (entries, or a manifest of before).
pub fn is_store(dir: &Path) -> bool {
    dir.join(ENTRIES).is_dir() || dir.join(MANIFEST).is_file()
}

/// The manifest of the store at `dir`: the union of its entries and of a
/// `manifest.json` written before them, sorted by sensor and part.
pub fn load(dir: &Path) -> Result<Manifest, StoreError> {
    let mut parts: BTreeMap<(String, String), Part> = BTreeMap::new();
    let legacy = load_legacy(dir)?;
    let converting = legacy.is_some();
    for part in legacy.into_iter().flatten() {
        parts.insert((part.sensor.clone(), part.part.clone()), part);
    }
    for part in load_entries(dir)? {
        parts.insert((part.sensor.clone(), part.part.clone()), part);
    }
    Ok(Manifest { schema: SCHEMA.into(), parts: parts.into_values().collect(), legacy: converting })
}

/// The parts `manifest.json` lists (None: there is none).
fn load_legacy(dir: &Path) -> Result<Option<Vec<Part>>, StoreError> {
    #[derive(Deserialize)]
    struct Legacy {
        schema: String,
        parts: Vec<Part>,
    }
    let path = dir.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StoreError::Io { path, source }),
    };
    let legacy: Legacy =
        serde_json::from_slice(&bytes).map_err(|source| StoreError::Manifest { path: path.clone(), source })?;
    if legacy.schema != SCHEMA {
        return Err(StoreError::Version { path, found: legacy.schema, known: SCHEMA });
    }
    for (index, part) in legacy.parts.iter().enumerate() {
        check_part(part, index, &path)?;
    }
    Ok(Some(legacy.parts))
}

/// The parts of `manifest.d`, each checked: its schema, its names, and a
/// file name that is its sensor and part (a commit rewrites the entry by
/// that name).
fn load_entries(dir: &Path) -> Result<Vec<Part>, StoreError> {
    let folder = dir.join(ENTRIES);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let listing = match std::fs::read_dir(&folder) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&folder)(e)),
    };
    let mut names = Vec::new();
    for entry in listing {
        let name = entry.map_err(io(&folder))?.file_name().to_string_lossy().into_owned();
        // Hidden names are writers' temporary files.
        if name.ends_with(".json") && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    let mut parts = Vec::with_capacity(names.len());
    for name in names {
        let path = folder.join(&name);
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let file: EntryFile =
            serde_json::from_slice(&bytes).map_err(|source| StoreError::Manifest { path: path.clone(), source })?;
        if file.schema != SCHEMA {
            return Err(StoreError::Version { path, found: file.schema, known: SCHEMA });
        }
        check_part(&file.part, 0, &path)?;
        if name != format!("{}-{}.json", file.part.sensor, file.part.part) {
            return Err(StoreError::ManifestEntry {
                path,
                index: 0,
                sensor: file.part.sensor.clone(),
                part: file.part.part.clone(),
                field: "file name",
                value: name,
            });
        }
        parts.push(file.part);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(dir: &Path, sensor: &str, part: &str, day: &str) -> Part {
        let mut p: Part = serde_json::from_str(&format!(
            r#"{{"sensor": "{sensor}", "part": "{part}", "inputs": [], "days": ["{day}"],
                "provenance": {{"darkscope": "", "geo": "", "scanners": null, "darknet": [], "exclude": [],
                "max_gap_secs": 600.0, "coverage_rule": "", "monitored": 1, "monitored_basis": ""}}}}"#
        ))
        .expect("a part");
        p.days = vec![day.into()];
        let path = entry_path(dir, sensor, part);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("manifest.d");
        std::fs::write(&path, entry_json(&p)).expect("an entry");
        p
    }

    #[test]
    fn the_manifest_is_the_union_of_the_entries_and_an_old_manifest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        assert!(!is_store(d));
        let a = stored(d, "s1", "aaaa", "2024-01-01");
        stored(d, "s2", "bbbb", "2024-01-02");
        std::fs::write(d.join(ENTRIES).join(".s3-cccc.json.tmp-1"), "half written").expect("a temporary file");
        let mut old = a.clone();
        old.days = vec!["2023-12-31".into()];
        let mut other = a.clone();
        other.part = "dddd".into();
        let legacy = serde_json::json!({"schema": SCHEMA, "parts": [old, other]});
        std::fs::write(d.join(MANIFEST), legacy.to_string()).expect("manifest.json");
        let m = load(d).expect("the union");
        assert!(is_store(d) && m.legacy);
        let names: Vec<_> = m.parts.iter().map(|p| format!("{}-{}", p.sensor, p.part)).collect();
        assert_eq!(names, ["s1-aaaa", "s1-dddd", "s2-bbbb"]);
        assert_eq!(m.parts[0].days, ["2024-01-01"], "the entry wins over manifest.json");
        std::fs::remove_file(d.join(MANIFEST)).expect("converted");
        assert!(!load(d).expect("entries alone").legacy);
    }

    #[test]
    fn an_entry_under_another_name_or_schema_is_refused_by_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        stored(d, "s1", "aaaa", "2024-01-01");
        std::fs::rename(entry_path(d, "s1", "aaaa"), entry_path(d, "s1", "bbbb")).expect("renamed");
        let e = load(d).expect_err("a misnamed entry").to_string();
        assert!(e.contains("s1-bbbb.json") && e.contains("file name"), "{e}");
        std::fs::remove_file(entry_path(d, "s1", "bbbb")).expect("removed");
        stored(d, "s1", "aaaa", "2024-01-01");
        let path = entry_path(d, "s1", "aaaa");
        let text = std::fs::read_to_string(&path).expect("the entry").replace(SCHEMA, "darkscope.manifest/9");
        std::fs::write(&path, text).expect("rewritten");
        let e = load(d).expect_err("another schema").to_string();
        assert!(e.contains("s1-aaaa.json") && e.contains("darkscope.manifest/9"), "{e}");
        std::fs::write(&path, "{").expect("damaged");
        assert!(load(d).expect_err("damaged").to_string().contains("s1-aaaa.json"));
    }
}
