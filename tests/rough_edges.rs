//! What a new user's wrong turns get: one line naming the problem and the
//! fix, the exit status the README's table gives, and nothing written or
//! changed. Also: the README's exit-status table lists what the program
//! does, and its example error is the program's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::cli::{ok, run};

/// Every file of `dir` with its bytes: what "nothing changed" compares.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    common::store::files(dir).into_iter().map(|f| (f.clone(), std::fs::read(&f).expect("reading"))).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `args`, expects `status` and one error line holding every word
/// of `words`; and that `store` did not change and `out` was not written.
fn refused(args: &[&str], status: i32, words: &[&str], store: &Path, out: Option<&Path>) {
    let before = snapshot(store);
    let got = run(args);
    let text = stderr(&got);
    assert_eq!(got.status.code(), Some(status), "darkscope {args:?}: {text}");
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(text.starts_with("darkscope: error: "), "{text}");
    for w in words {
        assert!(text.contains(w), "{args:?}: {w:?} missing from {text}");
    }
    assert!(got.stdout.is_empty(), "nothing on standard output");
    assert!(snapshot(store) == before, "{args:?} changed the store");
    if let Some(out) = out {
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

/// A two-day store of sensor s1 (2024-01-01..2024-01-02).
fn store(dir: &Path) -> (String, String) {
    let capture = dir.join("c.pcap").to_string_lossy().into_owned();
    let store = dir.join("store").to_string_lossy().into_owned();
    ok(&["generate", "--out", &capture, "--packets", "20000", "--days", "2", "--sources", "500"]);
    ok(&["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s1", "-q"]);
    (capture, store)
}

#[test]
fn periods_and_sensors_the_store_does_not_hold_are_refused_saying_what_it_holds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, store) = store(dir.path());
    let s = Path::new(&store);
    let out = dir.path().join("r.md");
    let o = out.to_string_lossy().into_owned();
    let holds = "2024-01-01..2024-01-02 (2 days)";
    refused(
        &["report", "--store", &store, "--period", "2025-01-01..2025-01-02", "--out", &o],
        2,
        &["--period 2025-01-01..2025-01-02", "holds no day of it", holds],
        s,
        Some(&out),
    );
    refused(
        &["report", "--store", &store, "--baseline", "2023-12-01..2023-12-02", "--out", &o],
        2,
        &["--baseline 2023-12-01..2023-12-02", "holds no day of it", holds],
        s,
        Some(&out),
    );
    refused(
        &["report", "--store", &store, "--sensor", "nosuch", "--out", &o],
        2,
        &["--sensor nosuch", "no sensor of that name", "it holds s1"],
        s,
        Some(&out),
    );
    refused(&["report", "--store", &store, "--alerts", "--sensor", "s2"], 2, &["--sensor s2", "s1"], s, None);
    // A period partly stored is a report of what there is.
    ok(&["report", "--store", &store, "--period", "2024-01-02..2024-01-09", "--out", &o]);
}

#[test]
fn an_empty_store_a_file_and_a_store_of_another_schema_are_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, store) = store(dir.path());
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("a folder");
    std::fs::write(empty.join("manifest.json"), "{\"schema\": \"darkscope.manifest/1\", \"parts\": []}\n")
        .expect("an empty manifest");
    let e = empty.to_string_lossy().into_owned();
    refused(&["report", "--store", &e], 2, &["holds no days yet", "darkscope replay INPUT --store"], &empty, None);

    let file = dir.path().join("file");
    std::fs::write(&file, "not a store").expect("a file");
    let f = file.to_string_lossy().into_owned();
    let args = ["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &f, "-q"];
    refused(&args, 2, &["--store", "is a file, not a folder"], dir.path(), None);

    let entries = Path::new(&store).join("manifest.d");
    let manifest = std::fs::read_dir(&entries).expect("manifest.d").next().expect("an entry").expect("a file").path();
    let text = std::fs::read_to_string(&manifest).expect("the entry");
    std::fs::write(&manifest, text.replace("darkscope.manifest/1", "darkscope.manifest/9")).expect("rewriting");
    let words = ["schema darkscope.manifest/9", "does not know", "darkscope.manifest/1", "another --store"];
    refused(&["report", "--store", &store], 2, &words, Path::new(&store), None);
    let args = ["replay", &capture, "--darknet", "198.18.0.0/16", "--store", &store, "--sensor", "s2", "-q"];
    refused(&args, 2, &words, Path::new(&store), None);
}

#[test]
fn a_damaged_table_file_is_read_not_written_and_the_fix_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, store) = store(dir.path());
    let day = Path::new(&store).join("sources").join("day=2024-01-01");
    let file = std::fs::read_dir(&day).expect("the day").next().expect("a file").expect("an entry").path();
    let bytes = std::fs::read(&file).expect("the file");
    std::fs::write(&file, &bytes[..bytes.len() / 2]).expect("cutting it");
    let name = file.file_name().expect("a name").to_string_lossy().into_owned();
    let part = name.trim_end_matches(".parquet").trim_start_matches("s1-").to_string();
    let out = dir.path().join("r.md");
    let o = out.to_string_lossy().into_owned();
    let words = ["reading", name.as_str(), "damaged", "--replace", "of sensor s1", part.as_str()];
    refused(&["report", "--store", &store, "--out", &o], 1, &words, Path::new(&store), Some(&out));
    assert!(!stderr(&run(&["report", "--store", &store])).contains("writing"), "the file was being read");
}

#[test]
fn table_files_the_part_fuzz_target_crashed_on_are_named_not_a_panic() {
    // The `part` fuzz target's crashes: a negative column offset and an
    // over-long RLE integer (inside the parquet crate), each as a
    // `source_ports` file; and a `ports_hourly` file whose packet counts sum
    // past 2^64 (the report's sum overflowed).
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, store) = store(dir.path());
    for (table, day, fixture, says) in [
        ("source_ports", "2024-01-01", "fuzz-part-negative-offset.parquet", "outside the file"),
        ("source_ports", "2024-01-01", "fuzz-part-bad-rle.parquet", "failed on it"),
        ("ports_hourly", "2024-01-02", "fuzz-part-huge-counts.parquet", "more than 2^48"),
    ] {
        let folder = Path::new(&store).join(table).join(format!("day={day}"));
        let file = std::fs::read_dir(&folder).expect("the day").next().expect("a file").expect("an entry").path();
        let kept = std::fs::read(&file).expect("the file");
        let name = file.file_name().expect("a name").to_string_lossy().into_owned();
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(fixture);
        std::fs::copy(&fixture, &file).expect("planting the file");
        let words = ["reading", name.as_str(), says, "damaged", "--replace"];
        refused(&["report", "--store", &store], 1, &words, Path::new(&store), None);
        std::fs::write(&file, kept).expect("putting the file back");
    }
}

/// The README's exit-status table: its statuses, each of which a command
/// here gives; and its example error line, which the program prints.
#[test]
fn the_readmes_exit_statuses_and_example_error_are_the_programs() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let section = readme.split("\n## Exit status\n").nth(1).expect("an exit-status section");
    let section = section.split("\n## ").next().expect("its text");
    let statuses: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" |").next())
        .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert_eq!(statuses, ["0", "1", "2", "3"]);

    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, store) = store(dir.path());
    let status = |args: &[&str]| run(args).status.code();
    assert_eq!(status(&["replay", &capture, "--darknet", "198.18.0.0/16", "-q"]), Some(0));
    let unwritable = dir.path().join("no").join("such").join("folder").join("r.md");
    assert_eq!(status(&["report", "--store", &store, "--out", &unwritable.to_string_lossy()]), Some(1));
    assert_eq!(status(&["replay", &capture, "--no-such-flag"]), Some(2));
    // Two days of history are too few to judge: no alert, status 0.
    assert_eq!(status(&["report", "--store", &store, "--alerts"]), Some(0));
    // Status 3 is tested with a planted surge in tests/report_alerts.rs.

    let example = section
        .lines()
        .find_map(|l| l.strip_prefix('`').and_then(|l| l.strip_suffix("`.")).filter(|l| l.starts_with("darkscope:")))
        .expect("an example error line");
    let got = run(&["replay", &capture, "--darknet", "198.18.0.1/16"]);
    assert_eq!(got.status.code(), Some(2));
    assert_eq!(stderr(&got).trim_end(), example);
}
