//! The store's input identity (DESIGN.md "Store"): each input's BLAKE3 in
//! the manifest, as `b3sum` computes it; a store whose manifest knows its
//! inputs by SHA-256 alone (written before BLAKE3; made here by rewriting a
//! manifest with `sha256sum`'s hashes) still skips an input it holds,
//! stores another, and `--replace` replaces the old part; DuckDB reads the
//! same days as the generator's ground truth. That old store is also one
//! manifest.json, as darkscope wrote before entry files: the next write
//! converts it into `manifest.d`, with every part it held.

use std::path::Path;
use std::process::Command;

mod common;
use common::cli::ok;
use common::json::as_counts as counts;

use serde_json::{Value, json};

/// The first word `program FILE` prints (a hash).
fn hash_of(program: &str, file: &str) -> String {
    let out = Command::new(program).arg(file).output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}): tools/setup.sh test installs it (b3sum: Debian package b3sum)")
    });
    assert!(out.status.success(), "{program} {file}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().expect("a hash").to_string()
}

fn manifest(store: &Path) -> Value {
    common::store::manifest(store)
}

/// Replays `capture` into `store` as sensor s1: what it printed.
fn replay(capture: &str, store: &str, extra: &[&str]) -> String {
    let args = ["replay", capture, "--darknet", "198.18.0.0/16", "--store", store, "--sensor", "s1"];
    let out = ok(&[&args[..], extra].concat());
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn inputs_are_known_by_blake3_and_an_old_stores_sha256_still_matches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, first_days) = common::store::generate_days(dir.path(), "2024-01-01", 2, 30_000, 2_000);
    let (second, second_days) = common::store::generate_days(dir.path(), "2024-02-01", 2, 40_000, 2_000);
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();

    replay(&first, &store_arg, &[]);
    let entry = manifest(&store)["parts"][0]["inputs"][0].clone();
    assert_eq!(entry["blake3"], json!(hash_of("b3sum", &first)), "{entry:#}");
    assert_eq!(entry.get("sha256"), None, "a new store records BLAKE3 only: {entry:#}");

    // The same store as an older darkscope wrote it: SHA-256 only, in
    // one manifest.json.
    let mut old = manifest(&store);
    old["schema"] = json!("darkscope.manifest/1");
    let old_part = old["parts"][0].clone();
    let input = &mut old["parts"][0]["inputs"][0];
    input.as_object_mut().expect("an input").remove("blake3");
    input["sha256"] = json!(hash_of("sha256sum", &first));
    let old_text = serde_json::to_vec_pretty(&old).expect("JSON");
    std::fs::remove_dir_all(store.join("manifest.d")).expect("removing the entries");
    std::fs::write(store.join("manifest.json"), &old_text).expect("writing the old manifest");

    let printed = replay(&first, &store_arg, &[]);
    assert!(printed.contains("is already in the store"), "matched by SHA-256: {printed}");
    assert_eq!(std::fs::read(store.join("manifest.json")).expect("the manifest"), old_text, "nothing written");
    assert!(!store.join("manifest.d").exists(), "nothing converted by a run that stores nothing");

    // The next write converts it: both parts as entries, manifest.json gone.
    replay(&second, &store_arg, &[]);
    assert!(!store.join("manifest.json").exists(), "converted");
    let parts = manifest(&store)["parts"].as_array().expect("parts").clone();
    assert_eq!(parts.len(), 2);
    let by_input = |path: &str| parts.iter().find(|p| p["inputs"][0]["path"] == json!(path)).expect("a part");
    assert_eq!(by_input(&second)["inputs"][0]["blake3"], json!(hash_of("b3sum", &second)));
    let converted = by_input(&first);
    assert_eq!(converted["inputs"][0]["sha256"], json!(hash_of("sha256sum", &first)), "{converted:#}");
    assert_eq!((&converted["part"], &converted["days"]), (&old_part["part"], &old_part["days"]));

    replay(&first, &store_arg, &["--replace"]);
    let parts = manifest(&store)["parts"].as_array().expect("parts").clone();
    assert_eq!(parts.len(), 2, "the old part replaced, not added to: {parts:#?}");
    let replaced = parts.iter().find(|p| p["inputs"][0]["path"] == json!(first)).expect("the first input's part");
    assert_eq!(replaced["inputs"][0]["blake3"], json!(hash_of("b3sum", &first)));

    let got = common::python::json("store/query.py", &[&store]);
    let mut want = first_days;
    want.extend(second_days);
    assert_eq!((counts(&got["days"]), counts(&got["days_from_sources"])), (want.clone(), want));
}
