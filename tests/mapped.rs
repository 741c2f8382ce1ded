//! Plain files of 1 MiB or more are mapped into memory rather than read:
//! the summary must be the one the read path gives for the same bytes
//! (standard input is always read), also when the file ends in the middle
//! of a record.

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
fn a_mapped_file_gives_the_summary_of_the_same_bytes_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.pcap");
    let name = path.to_string_lossy().into_owned();
    ok(&["generate", "--out", &name, "--packets", "40000", "--days", "2", "--sources", "3000", "--seed", "9"]);
    let size = std::fs::metadata(&path).expect("capture size").len();
    assert!(size >= 2 << 20, "the capture must be large enough to be mapped ({size} bytes)");
    let mapped = summary(&name, None);
    assert_eq!(mapped["records"], 40_000, "every record is read from the mapping");
    assert_eq!(mapped, summary("-", Some(&path)), "mapped and read summaries differ");

    // Cut in the middle of a record, 5 bytes short of the file's end.
    let bytes = std::fs::read(&path).expect("reading the capture");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).expect("writing the cut capture");
    let cut_name = cut.to_string_lossy().into_owned();
    let mapped = summary(&cut_name, None);
    assert_eq!(mapped["records"], 39_999, "the cut record is not counted");
    let read = summary("-", Some(&cut));
    assert_eq!(mapped["records"], read["records"]);
    assert_eq!(mapped["packets"], read["packets"]);
    assert_eq!(mapped["dst_ports"], read["dst_ports"]);
    assert_eq!(mapped["warnings"].as_array().map(Vec::len), read["warnings"].as_array().map(Vec::len));
}
