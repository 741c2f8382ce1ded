//! `replay --threads N`: the summary JSON and every file of the store are
//! byte for byte the same for 1, 2, 3 and 8 threads (the day tables are
//! filled on a thread of their own from 2 on; days close while the run
//! goes on, and late records of a closed day make an extra part), and a
//! compressed input gives the summary of its plain bytes.

use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::cli::ok;

/// Every file of the store below `dir`: relative path → bytes.
fn store_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    common::store::files(dir)
        .into_iter()
        .map(|path| {
            let name = path.strip_prefix(dir).expect("inside the store").to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("reading a stored file"))
        })
        .collect()
}

#[test]
fn summaries_and_stores_are_the_same_for_any_number_of_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let a = dir.path().join("a.pcap").to_string_lossy().into_owned();
    let b = dir.path().join("b.pcap").to_string_lossy().into_owned();
    ok(&["generate", "--out", &a, "--packets", "300000", "--days", "3", "--sources", "20000", "--seed", "4"]);
    // A second capture of the first day, read after the first: its
    // records are late for a closed day (an extra part).
    ok(&["generate", "--out", &b, "--packets", "20000", "--days", "1", "--sources", "2000", "--seed", "5"]);
    let run = |threads: &str| {
        let store = dir.path().join(format!("store-{threads}"));
        let store_arg = store.to_string_lossy().into_owned();
        let out = ok(&[
            "replay",
            &a,
            &b,
            "--darknet",
            "198.18.0.0/16",
            "--store",
            &store_arg,
            "--sensor",
            "s1",
            "--threads",
            threads,
            "--summary-json",
            "-",
            "-q",
        ]);
        (out.stdout, store_files(&store))
    };
    let (summary, files) = run("1");
    assert!(files.keys().any(|f| f.contains("x1.parquet")), "the late capture makes an extra part: {:?}", files.keys());
    for threads in ["2", "3", "8"] {
        let (other_summary, other_files) = run(threads);
        assert!(other_summary == summary, "--threads {threads}: the summary JSON differs");
        assert_eq!(other_files.keys().collect::<Vec<_>>(), files.keys().collect::<Vec<_>>(), "--threads {threads}");
        for (name, bytes) in &files {
            assert!(other_files[name] == *bytes, "--threads {threads}: {name} differs");
        }
    }
}

/// Compressed inputs are decompressed on a helper thread from `--threads 2`
/// on: the summary is the plain file's, whatever the thread count, but for
/// the input's path and compression.
#[test]
fn compressed_inputs_give_the_plain_summary_for_any_number_of_threads() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let plain = dir.path().join("a.pcap");
    let plain_arg = plain.to_string_lossy().into_owned();
    // About 8 MB: many of the helper's 1 MiB blocks.
    ok(&["generate", "--out", &plain_arg, "--packets", "100000", "--days", "2", "--sources", "5000", "--seed", "9"]);
    let bytes = std::fs::read(&plain).expect("reading the capture");
    let zst = dir.path().join("a.pcap.zst");
    std::fs::write(&zst, zstd::encode_all(&bytes[..], 3).expect("zstd")).expect("writing a.pcap.zst");
    let gz = dir.path().join("a.pcap.gz");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&bytes).expect("gzip");
    std::fs::write(&gz, encoder.finish().expect("gzip")).expect("writing a.pcap.gz");
    let summary = |path: &Path, threads: &str| -> serde_json::Value {
        let path = path.to_string_lossy().into_owned();
        let out =
            ok(&["replay", &path, "--darknet", "198.18.0.0/16", "--threads", threads, "--summary-json", "-", "-q"]);
        serde_json::from_slice(&out.stdout).expect("summary JSON")
    };
    let want = summary(&plain, "1");
    assert_eq!(want["records"], 100_000, "the generator wrote 100,000 records");
    for (path, name) in [(&zst, "zstd"), (&gz, "gzip")] {
        for threads in ["1", "2"] {
            let mut got = summary(path, threads);
            assert_eq!(got["inputs"][0]["compression"], name, "{name}, --threads {threads}");
            for key in ["compression", "path"] {
                got["inputs"][0][key] = want["inputs"][0][key].clone();
            }
            assert!(got == want, "{name}, --threads {threads}: the summary differs from the plain file's");
        }
    }
}
