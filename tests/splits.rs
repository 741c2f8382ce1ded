//! A capture split into several files at arbitrary records gives the run
//! of the whole file: the same summary JSON (but for its list of inputs)
//! and the same rows, in the same order, in every table file of the store
//! (only the part's name and provenance, which name the inputs, differ),
//! whatever the number of threads.

use std::collections::BTreeMap;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};

mod common;
use common::cli::ok;
use common::files::split_pcap as split;

/// Every table file of a store as `table/day=…` → its schema and rows as
/// text, in file order.
fn tables(store: &Path) -> BTreeMap<String, Vec<String>> {
    common::store::files(store)
        .into_iter()
        .filter(|f| f.extension().is_some_and(|e| e == "parquet"))
        .map(|file| {
            let relative = file.strip_prefix(store).expect("inside the store");
            let key = relative.parent().expect("a day folder").to_string_lossy().into_owned();
            let reader = SerializedFileReader::new(std::fs::File::open(&file).expect("opening")).expect("Parquet");
            let schema = format!("{:?}", reader.metadata().file_metadata().schema());
            let rows = reader.get_row_iter(None).expect("rows").map(|row| row.expect("a row").to_string());
            (key, std::iter::once(schema).chain(rows).collect())
        })
        .collect()
}

#[test]
fn a_capture_split_anywhere_gives_the_whole_files_summary_and_tables() {
    let dir = tempfile::tempdir().expect("temp dir");
    let whole = dir.path().join("whole.pcap");
    let whole_arg = whole.to_string_lossy().into_owned();
    // Every traffic class, a DoS victim's backscatter among them.
    ok(&[
        "generate",
        "--out",
        &whole_arg,
        "--packets",
        "200000",
        "--days",
        "4",
        "--sources",
        "20000",
        "--seed",
        "4",
        "--scenario",
        "two-period",
    ]);
    let run = |name: &str, inputs: &[String], threads: &str| {
        let store = dir.path().join(name);
        let store_arg = store.to_string_lossy().into_owned();
        let mut args = vec!["replay"];
        args.extend(inputs.iter().map(String::as_str));
        args.extend(["--darknet", "198.18.0.0/16", "--store", &store_arg, "--sensor", "s1"]);
        args.extend(["--threads", threads, "--summary-json", "-", "-q"]);
        let mut summary: serde_json::Value = serde_json::from_slice(&ok(&args).stdout).expect("summary JSON");
        let inputs = summary.as_object_mut().expect("an object").remove("inputs").expect("inputs");
        (summary, inputs, tables(&store))
    };
    let (summary, inputs, want) = run("whole", std::slice::from_ref(&whole_arg), "1");
    assert_eq!(inputs.as_array().map(Vec::len), Some(1));
    assert_eq!(summary["records"], 200_000, "the generator wrote 200,000 records");
    assert!(want.keys().filter(|k| k.starts_with("sources/")).count() == 4, "four days: {:?}", want.keys());
    for (pieces, threads) in [(7, "1"), (7, "2"), (50, "2"), (50, "3")] {
        let files = split(&whole, pieces, dir.path());
        let (got_summary, got_inputs, got) = run(&format!("split{pieces}-{threads}"), &files, threads);
        let what = format!("{pieces} files, --threads {threads}");
        assert_eq!(got_inputs.as_array().map(Vec::len), Some(pieces), "{what}");
        assert!(got_summary == summary, "{what}: the summary differs");
        assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{what}");
        for (key, rows) in &want {
            assert_eq!(got[key].len(), rows.len(), "{what}: rows of {key}");
            assert!(got[key] == *rows, "{what}: {key} differs");
        }
    }
}
