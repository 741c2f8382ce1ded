//! A plain file is read in cache-sized pieces straight from the file (it
//! was mapped into memory from 1 MiB on until a truncated mapping proved
//! fatal, see tests/shrinking.rs): the summary must be the one standard
//! input gives for the same bytes, also when the file ends in the middle of
//! a record.

use std::process::{Command, Stdio};

mod common;
use common::cli::ok;

/// The summary JSON of `darkscope replay INPUT`, with `stdin` as standard
/// input, without the fields that name the input.
fn summary(input: &str, stdin: Option<&std::path::Path>) -> serde_json::Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_darkscope"));
    command.args(["replay", input, "--darknet", "198.18.0.0/16", "--summary-json", "-", "-q"]);
    if let Some(path) = stdin {
        command.stdin(Stdio::from(std::fs::File::open(path).expect("opening the capture")));
    }
    let out = command.output().expect("running darkscope");
    assert!(out.status.success(), "replay {input} failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    let object = json.as_object_mut().expect("a JSON object");
    object.remove("inputs");
    json
}

#[test]
fn a_file_gives_the_summary_of_the_same_bytes_from_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.pcap");
    let name = path.to_string_lossy().into_owned();
    ok(&["generate", "--out", &name, "--packets", "40000", "--days", "2", "--sources", "3000", "--seed", "9"]);
    let size = std::fs::metadata(&path).expect("capture size").len();
    assert!(size >= 2 << 20, "the capture must span many reads ({size} bytes)");
    let from_file = summary(&name, None);
    assert_eq!(from_file["records"], 40_000, "every record is read from the file");
    assert_eq!(from_file, summary("-", Some(&path)), "file and standard input summaries differ");

    // Cut in the middle of a record, 5 bytes short of the file's end.
    let bytes = std::fs::read(&path).expect("reading the capture");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).expect("writing the cut capture");
    let cut_name = cut.to_string_lossy().into_owned();
    let from_file = summary(&cut_name, None);
    assert_eq!(from_file["records"], 39_999, "the cut record is not counted");
    let read = summary("-", Some(&cut));
    assert_eq!(from_file["records"], read["records"]);
    assert_eq!(from_file["packets"], read["packets"]);
    assert_eq!(from_file["dst_ports"], read["dst_ports"]);
    assert_eq!(from_file["warnings"].as_array().map(Vec::len), read["warnings"].as_array().map(Vec::len));
}
