//! The robustness corpus (`../shared/corpus/`, 1,233 captures from other
//! projects' test suites, see its README): every file runs without a panic,
//! and the record count equals tcpdump's wherever tcpdump reported no error.
//!
//! Files where tcpdump is no reference (its `tcpdump_error` is not empty)
//! are listed in [`KNOWN`] with an exact expectation worked out
//! independently (pcapng-test-generator's `.txt` block counts, tshark's
//! count minus custom blocks, or tcpdump's count where it stops at the same
//! defect). The manifest's error rows and the table must agree both ways, so
//! the table stays complete. Every exit-0 run must also satisfy the
//! DESIGN.md counter sums.
//!
//! The corpus is required: without it the test fails (it is checked out
//! beside the repository; CI has it).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longest a single file may take.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A file tcpdump cannot be the reference for.
struct Known {
    file: &'static str,
    /// Exit status of `darkscope replay FILE`.
    exit: i32,
    /// `records` in the summary (exit 0 only).
    records: u64,
    /// A text that one of `inputs[0].warnings` contains; `None`: no warning.
    warning: Option<&'static str>,
    reason: &'static str,
}

const fn k(file: &'static str, exit: i32, records: u64, warning: Option<&'static str>, reason: &'static str) -> Known {
    Known { file, exit, records, warning, reason }
}

const TRUNC: &str = "tcpdump's count; it stops at the same cut-short record header";
const MIXED: &str = "libpcap refuses IDBs whose link type/snaplen differ; count = EPB+SPB+PB of the .txt";
const NO_IDB: &str = "no IDB for libpcap; the .txt lists no EPB/SPB/PB (tshark's frames are the custom blocks)";
const G: &str = "pcapng-test-generator/output_";

#[rustfmt::skip]
const KNOWN: &[Known] = &[
    k("dpkt/truncated_dns_2.pcap", 0, 1, Some("byte 240"), TRUNC),
    k("scapy/bad_rsn_parsing_overrides_ssid.pcap", 0, 1, Some("byte 359"), TRUNC),
    k("gopacket/pcapgo/tests/le/test901.pcapng", 0, 1, Some("byte 480"),
      "tcpdump's count and tshark's: 1 packet before the version-2.0 SHB at byte 480 (0x1e0)"),
    k("gopacket/pcapgo/tests/be/test901.pcapng", 0, 1, Some("byte 480"),
      "tcpdump's count and tshark's: 1 packet before the version-2.0 SHB at byte 480 (0x1e0)"),
    k("libpcap/linktype-reserved-field-not-zero.pcap", 0, 0, None,
      "a 24-byte file: header only, no record (tcpdump and tshark: 0)"),
    k("libpcap/pcap-invalid-version-1.pcap", 2, 0, None, "pcap version 1.4: unsupported, a named input -> usage error"),
    k("libpcap/pcap-invalid-version-2.pcap", 2, 0, None, "pcap version 2.5: unsupported (as libpcap), usage error"),
    k("libpcap/pcapng-invalid-vers-1.pcapng", 2, 0, None, "pcapng version 0.1: unsupported, usage error"),
    k("libpcap/pcapng-invalid-vers-2.pcapng", 2, 0, None, "pcapng version 1.1: unsupported, usage error"),
    k("pcap-parser/err-eof.bin", 2, 0, None, "no capture magic (06 00 00 00): usage error"),
    k("libpcap/shb-option-too-long.pcapng", 0, 0, Some("byte 0"),
      "the first SHB's trailer length differs (tcpdump, tshark: 0 packets)"),
    k("pcapng-test-generator/output_le/advanced/test100.pcapng", 0, 5, None, MIXED),
    k("pcapng-test-generator/output_be/advanced/test100.pcapng", 0, 5, None, MIXED),
    k("pcapng-test-generator/output_le/advanced/test101.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_be/advanced/test101.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_le/advanced/test102.pcapng", 0, 5, None, MIXED),
    k("pcapng-test-generator/output_be/advanced/test102.pcapng", 0, 5, None, MIXED),
    k("pcapng-test-generator/output_le/basic/test002.pcapng", 0, 0, None, "only an SHB (.txt)"),
    k("pcapng-test-generator/output_be/basic/test002.pcapng", 0, 0, None, "only an SHB (.txt)"),
    k("pcapng-test-generator/output_le/basic/test004.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_be/basic/test004.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_le/basic/test005.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_be/basic/test005.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_le/basic/test006.pcapng", 0, 5, None, MIXED),
    k("pcapng-test-generator/output_be/basic/test006.pcapng", 0, 5, None, MIXED),
    k("pcapng-test-generator/output_le/basic/test008.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_be/basic/test008.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_le/basic/test014.pcapng", 0, 0, None, MIXED),
    k("pcapng-test-generator/output_be/basic/test014.pcapng", 0, 0, None, MIXED),
    k("pcapng-test-generator/output_le/basic/test017.pcapng", 0, 0, None, NO_IDB),
    k("pcapng-test-generator/output_be/basic/test017.pcapng", 0, 0, None, NO_IDB),
    k("pcapng-test-generator/output_le/difficult/test200.pcapng", 0, 0, None, MIXED),
    k("pcapng-test-generator/output_be/difficult/test200.pcapng", 0, 0, None, MIXED),
    k("pcapng-test-generator/output_le/difficult/test201.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_be/difficult/test201.pcapng", 0, 4, None, MIXED),
    k("pcapng-test-generator/output_le/difficult/test202.pcapng", 0, 8, None,
      "mixed link types, 3 sections of both byte orders; .txt: 6 EPB + 2 SPB (tshark 11 = 8 + 1 CB + 2 DCB)"),
    k("pcapng-test-generator/output_be/difficult/test202.pcapng", 0, 8, None,
      "mixed link types, 3 sections of both byte orders; .txt: 6 EPB + 2 SPB (tshark 11 = 8 + 1 CB + 2 DCB)"),
];

fn corpus_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    assert!(
        dir.join("manifest.tsv").is_file(),
        "../shared/corpus not found: clone the shared folder beside the repository (CI has it); looked in {}",
        dir.display()
    );
    dir
}

/// What one run gave.
struct Run {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs `darkscope replay FILE --summary-json - --quiet`, killing it after
/// [`TIMEOUT`].
fn replay(dir: &Path, file: &str) -> Result<Run, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_darkscope"))
        .current_dir(dir)
        .args(["replay", file, "--summary-json", "-", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start darkscope: {e}"))?;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = r.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().ok_or("no stdout pipe")?));
    let err = drain(Box::new(child.stderr.take().ok_or("no stderr pipe")?));
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s (killed)", TIMEOUT.as_secs()));
            }
            None => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
        }
    };
    let stdout = out.join().map_err(|_| "stdout reader panicked")?;
    let stderr = err.join().map_err(|_| "stderr reader panicked")?;
    Ok(Run { code: status.code(), stdout, stderr: String::from_utf8_lossy(&stderr).into_owned() })
}

fn num(v: &Value, path: &[&str]) -> u64 {
    let mut cur = v;
    for key in path {
        match cur.get(key) {
            Some(next) => cur = next,
            None => return 0,
        }
    }
    cur.as_u64().unwrap_or(0)
}

fn map_sum(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_object).map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
}

/// The DESIGN.md "counters always add up" rules; one message per broken sum.
fn check_sums(j: &Value) -> Vec<String> {
    let n = |k: &str| num(j, &[k]);
    let mut bad = Vec::new();
    let mut eq = |what: &str, left: u64, right: u64| {
        if left != right {
            bad.push(format!("{what}: {left} != {right}"));
        }
    };
    eq("records = ipv4+ipv6+non_ip+malformed", n("records"), n("ipv4") + n("ipv6") + n("non_ip") + n("malformed"));
    eq(
        "inside+outside+excluded = ipv4+ipv6",
        n("darknet_inside") + n("darknet_outside") + n("excluded"),
        n("ipv4") + n("ipv6"),
    );
    let tcp = num(j, &["protocols", "tcp"]);
    let udp = num(j, &["protocols", "udp"]);
    eq("sum(tcp_flags) = protocols.tcp", map_sum(j, "tcp_flags"), tcp);
    let no_port = num(j, &["no_dst_port", "non_first_fragment"]) + num(j, &["no_dst_port", "truncated"]);
    eq("sum(dst_ports)+no_dst_port = tcp+udp", map_sum(j, "dst_ports") + no_port, tcp + udp);
    bad
}

/// EPB + SPB + obsolete PB counted in a pcapng-test-generator `.txt`.
fn txt_packet_blocks(txt: &str) -> u64 {
    txt.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .filter(|(k, _)| matches!(*k, "EPB" | "SPB" | "PB"))
        .filter_map(|(_, v)| v.trim().parse::<u64>().ok())
        .sum()
}

#[test]
fn every_corpus_file_runs_and_counts_like_tcpdump() {
    let dir = corpus_dir();
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).expect("read manifest.tsv");
    let mut lines = manifest.lines();
    let header: Vec<&str> = lines.next().expect("manifest header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (c_file, c_count, c_err) = (col("file"), col("packets_by_tcpdump"), col("tcpdump_error"));
    let known: BTreeMap<&str, &Known> = KNOWN.iter().map(|k| (k.file, k)).collect();
    assert_eq!(known.len(), KNOWN.len(), "duplicate file in KNOWN");

    let mut failures = Vec::new();
    let (mut files, mut records_total, mut seen_known) = (0usize, 0u64, Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let file = f[c_file];
        let tcpdump_error = f.get(c_err).copied().unwrap_or("");
        let expect = if tcpdump_error.is_empty() {
            let count = f[c_count].parse::<u64>().expect("packets_by_tcpdump is a number");
            (0, count, None)
        } else {
            match known.get(file) {
                Some(k) => {
                    seen_known.push(file);
                    (k.exit, k.records, Some(*k))
                }
                None => {
                    failures.push(format!("{file}: tcpdump error row ({tcpdump_error}) missing from KNOWN"));
                    continue;
                }
            }
        };
        files += 1;
        let run = match replay(&dir, file) {
            Ok(run) => run,
            Err(e) => {
                failures.push(format!("{file}: {e}"));
                continue;
            }
        };
        if run.stderr.contains("panicked") {
            failures.push(format!("{file}: panicked: {}", run.stderr.trim()));
            continue;
        }
        match run.code {
            Some(code) if code == expect.0 => {}
            Some(code) => {
                failures.push(format!("{file}: exit {code}, expected {} ({})", expect.0, run.stderr.trim()));
                continue;
            }
            None => {
                failures.push(format!("{file}: killed by a signal"));
                continue;
            }
        }
        if expect.0 != 0 {
            continue;
        }
        let json: Value = match serde_json::from_slice(&run.stdout) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{file}: summary is no JSON: {e}"));
                continue;
            }
        };
        let records = num(&json, &["records"]);
        records_total += records;
        if records != expect.1 {
            failures.push(format!("{file}: records {records}, expected {}", expect.1));
        }
        for broken in check_sums(&json) {
            failures.push(format!("{file}: {broken}"));
        }
        if let Some(k) = expect.2 {
            let warnings: Vec<String> = json["inputs"][0]["warnings"]
                .as_array()
                .map(|a| a.iter().filter_map(|w| w.as_str().map(String::from)).collect())
                .unwrap_or_default();
            match k.warning {
                Some(text) if !warnings.iter().any(|w| w.contains(text)) => {
                    failures.push(format!("{file}: no warning containing {text:?} in {warnings:?}"));
                }
                None if !warnings.is_empty() => failures.push(format!("{file}: unexpected warnings {warnings:?}")),
                _ => {}
            }
        }
    }
    for k in KNOWN {
        if !seen_known.contains(&k.file) {
            failures.push(format!("{}: in KNOWN but not an error row of the manifest", k.file));
        }
        // The generator's own description is an independent count.
        if let Some(rest) = k.file.strip_prefix(G) {
            let txt = dir.join(format!("{G}{}", rest.replace(".pcapng", ".txt")));
            match std::fs::read_to_string(&txt) {
                Ok(t) if txt_packet_blocks(&t) != k.records => failures.push(format!(
                    "{}: KNOWN says {} records, the .txt {} ({})",
                    k.file,
                    k.records,
                    txt_packet_blocks(&t),
                    k.reason
                )),
                Ok(_) => {}
                Err(e) => failures.push(format!("{}: {e}", txt.display())),
            }
        }
    }
    println!("corpus: {files} files, {records_total} records, {} failures", failures.len());
    assert!(failures.is_empty(), "{} corpus failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn txt_block_counts_are_parsed() {
    let txt = "Block counts:\n\tCB: 2\n\tEPB: 4\n\tIDB: 3\n\tSPB: 1\n\tPB: 2\n\tSHB: 1\n";
    assert_eq!(txt_packet_blocks(txt), 7);
}
