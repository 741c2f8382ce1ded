//! The store never shows half a write (issue 15): `replay --store
//! --replace` killed with SIGKILL at 100 random moments, and aborted at
//! every step of its commit, leaves every table readable by DuckDB
//! (`tests/store/totals.py`, independent of darkscope) with the totals of
//! the store before the run or after it, never a part counted twice; the
//! next run completes normally. The totals after each run are checked
//! against sums of single-part stores, so a part counted twice, or left
//! behind by `--replace`, fails.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::cli::ok;
use common::crash::{Rng, Totals, table_totals};
use common::netns::{Daemon, Veth, live_tests_enabled, sent_capture};

const DARKNET: &str = "198.18.0.0/16";
const SENSORS: usize = 5;

/// `replay INPUT --store STORE --sensor s<sensor> --replace`.
fn replay_args(input: &str, store: &str, sensor: usize) -> Vec<String> {
    let sensor = format!("s{sensor}");
    ["replay", input, "--darknet", DARKNET, "--store", store, "--sensor", &sensor, "--replace", "-q"]
        .map(String::from)
        .to_vec()
}

fn darkscope(args: &[String]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_darkscope"));
    command.args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    command
}

/// The totals a store holding `parts` (one per sensor: A, B or none)
/// must have: the sums of the single-part stores' totals.
fn expected(parts: &[Option<usize>], single: &[BTreeMap<String, [i64; 2]>]) -> BTreeMap<String, [i64; 2]> {
    let mut sum: BTreeMap<String, [i64; 2]> = single[0].keys().map(|k| (k.clone(), [0, 0])).collect();
    for which in parts.iter().flatten() {
        for (table, [rows, packets]) in &single[*which] {
            let s = sum.get_mut(table).expect("every table");
            s[0] += rows;
            s[1] += packets;
        }
    }
    sum
}

#[test]
fn a_replay_killed_anywhere_leaves_the_store_as_before_or_after() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, _) = common::store::generate_days(dir.path(), "2024-03-01", 3, 60_000, 3_000);
    let pieces = dir.path().join("pieces");
    std::fs::create_dir(&pieces).expect("a folder");
    // B: the first half of A, so each one overlaps the other and --replace
    // swaps one part for the other.
    let b = common::files::split_pcap(Path::new(&a), 2, &pieces).remove(0);
    let inputs = [a, b];
    let mut duck = Totals::start();

    let mut single = Vec::new();
    let mut run_time = Duration::ZERO;
    for (i, input) in inputs.iter().enumerate() {
        let store = dir.path().join(format!("single{i}")).to_string_lossy().into_owned();
        let started = Instant::now();
        ok(&replay_args(input, &store, 0).iter().map(String::as_str).collect::<Vec<_>>());
        run_time = run_time.max(started.elapsed());
        single.push(table_totals(&duck.of(Path::new(&store))));
    }
    assert_ne!(single[0], single[1], "A and B differ");

    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();
    let mut parts: Vec<Option<usize>> = vec![None; SENSORS];
    let mut rng = Rng::new(0x5eed_0015);
    let (mut killed, mut finished, mut in_commit) = (0, 0, 0);
    let mut before = duck.of(&store);
    let mut run = 0;
    while killed < 100 {
        assert!(run < 400, "only {killed} of {run} runs were killed before they ended");
        let sensor = run % SENSORS;
        let next = if parts[sensor] == Some(0) { 1 } else { 0 };
        let args = replay_args(&inputs[next], &store_arg, sensor);
        let mut child = darkscope(&args).spawn().expect("starting replay");
        std::thread::sleep(run_time.mul_f64(1.2 * rng.unit()));
        // The kill moments follow the replays' time as it is now (another
        // test may share the cores): shorter after a replay that ended first.
        if child.try_wait().expect("polling replay").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
            run_time = run_time.mul_f64(1.02);
        } else {
            finished += 1;
            run_time = run_time.mul_f64(0.9);
        }
        child.wait().expect("waiting for replay");
        let journal = common::store::journal(&store);
        let mid = duck.of(&store);
        table_totals(&mid); // every table read without an error

        // The next run completes normally, and the store holds each part once.
        let out = darkscope(&args).status().expect("running replay again");
        assert!(out.success(), "run {run}: the replay after the kill failed ({out})");
        parts[sensor] = Some(next);
        let after = duck.of(&store);
        assert_eq!(table_totals(&after), expected(&parts, &single), "run {run}: after the next replay");
        let stored = parts.iter().flatten().count();
        assert_eq!(after["parts"].as_array().map(Vec::len), Some(stored), "run {run}: one part per sensor");
        if journal {
            // Killed after the commit point: the next process finished it.
            in_commit += 1;
        } else {
            assert!(
                mid == before || mid == after,
                "run {run}: killed, the store was {mid}\nbefore {before}\nafter {after}"
            );
        }
        before = after;
        run += 1;
    }
    eprintln!("{killed} replays killed ({in_commit} inside the commit), {finished} ended before their kill");

    // Aborted at every step of a commit (SIGABRT where a crash could come):
    // before the journal (step 0) the store stays as it was; after it, the
    // next process (here a report) rolls it forward.
    let sensor = 0;
    for step in 0.. {
        let next = if parts[sensor] == Some(0) { 1 } else { 0 };
        let args = replay_args(&inputs[next], &store_arg, sensor);
        let status = darkscope(&args)
            .env("DARKSCOPE_FAILPOINT_COMMIT_STEPS", step.to_string())
            .status()
            .expect("running replay");
        if status.success() {
            assert!(step > 20, "a commit has renames and removals for 8 tables × 3 days");
            break;
        }
        if step == 0 {
            assert!(!common::store::journal(&store), "aborted before the commit point");
            ok(&["report", "--store", &store_arg, "--format", "json"]);
            assert_eq!(table_totals(&duck.of(&store)), expected(&parts, &single), "aborted before the commit point");
            continue;
        }
        parts[sensor] = Some(next);
        assert!(common::store::journal(&store), "step {step}: aborted inside the commit");
        table_totals(&duck.of(&store));
        ok(&["report", "--store", &store_arg, "--format", "json"]);
        assert!(!common::store::journal(&store), "step {step}: the report finished the commit");
        let after = duck.of(&store);
        assert_eq!(table_totals(&after), expected(&parts, &single), "step {step}: rolled forward");
    }
}

/// Packets in the `sources` table of a `Totals::of` answer.
fn stored_packets(got: &Value) -> i64 {
    table_totals(got)["sources"][1]
}

#[test]
fn a_daemon_killed_in_its_flushes_keeps_what_it_stored_and_continues_exactly() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, per_send) = sent_capture(dir.path(), 2000, 300, 15);
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();
    let args =
        ["--darknet", DARKNET, "--store", &store_arg, "--sensor", "live1", "--flush", "1", "--log-level", "debug"];
    let veth = Veth::new();
    let mut duck = Totals::start();
    let mut rng = Rng::new(0xdae_0015);
    let (mut sent, mut stored, mut in_commit) = (0, 0, 0);
    for round in 0..20 {
        // Abort at a random step of the first few flushes (each renames one
        // file per table of the open day), as a crash there would.
        let step = (rng.unit() * 30.0) as u64;
        let env = [("DARKSCOPE_FAILPOINT_COMMIT_STEPS", step.to_string())];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut daemon = Daemon::start_with_env(&veth, &args, &env);
        assert!(!common::store::journal(&store), "round {round}: the restarted daemon finished the commit");
        veth.send(&capture, 4_000);
        sent += per_send;
        let status = daemon.wait_for_exit(Duration::from_secs(20));
        let status =
            status.unwrap_or_else(|| panic!("round {round}: no abort at step {step}:\n{}", daemon.log.join("\n")));
        assert!(!status.success(), "round {round}: the daemon was aborted ({status})");
        let journal = common::store::journal(&store);
        let now = duck.of(&store);
        let packets = stored_packets(&now);
        let parts = now["parts"].as_array().map_or(0, Vec::len);
        assert!(parts <= 1, "round {round}: {parts} parts, not the sensor's one live part");
        assert!(packets <= sent, "round {round}: {packets} stored of {sent} sent");
        if journal {
            in_commit += 1;
        } else {
            assert!(packets >= stored, "round {round}: {packets} stored, fewer than the {stored} before");
            stored = packets;
        }
    }
    eprintln!("20 daemons aborted in a flush ({in_commit} after the commit point)");

    // A daemon started afterwards continues the stored day exactly: what it
    // is sent adds to what the store held.
    let mut daemon = Daemon::start(&veth, &args);
    let flushes = daemon.lines_with("flushed");
    daemon.wait_for_lines("flushed", flushes + 2, Duration::from_secs(10));
    let base = stored_packets(&duck.of(&store));
    assert!(base >= stored && base <= sent, "{base} stored after the restart ({stored}..={sent})");
    veth.send(&capture, 4_000);
    std::thread::sleep(Duration::from_millis(600));
    assert!(daemon.signal("TERM").success(), "SIGTERM: exit 0 after the final flush");
    assert_eq!(stored_packets(&duck.of(&store)), base + per_send, "continued exactly");
}
