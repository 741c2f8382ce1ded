//! A full disk (issue 15): the store on a small tmpfs that the test fills.
//! A replay into it (a new part, and a `--replace` of a stored one) exits 1
//! with one error naming the store, leaves no temporary file, and the store
//! as DuckDB reads it (`tests/store/totals.py`) is as before; once there is
//! room the same replay succeeds. A daemon whose store fills up keeps
//! capturing, shows the failure in `/healthz` and `/metrics`, and stores
//! everything it was sent at the first flush after space is freed.
//!
//! Expected values: the totals of the same inputs replayed into a store
//! on an ordinary disk (DuckDB), the generator's ground truth (daemon).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::cli::ok;
use common::crash::{Totals, table_totals};
use common::netns::{Daemon, Veth, live_tests_enabled, sent_capture};

const DARKNET: &str = "198.18.0.0/16";

/// A tmpfs of `size` mounted at `path` (made), unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(path: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(path).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .expect("running mount");
        assert!(status.success(), "mount -t tmpfs on {}", path.display());
        Tmpfs(path.to_path_buf())
    }

    /// Fills the file system with `filler`, leaving `room` bytes free.
    fn fill(&self, room: u64) -> PathBuf {
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0xa5u8; 64 * 1024];
        let mut size = 0u64;
        while let Ok(n) = file.write(&chunk) {
            if n == 0 {
                break;
            }
            size += n as u64;
        }
        file.set_len(size.saturating_sub(room)).expect("making room");
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Files in `dir` (recursively) whose names mark them temporary.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    common::store::files(dir)
        .into_iter()
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.contains(".tmp-") || n.ends_with(".commit"))
        })
        .collect()
}

fn replay(input: &str, store: &str, sensor: &str, replace: bool) -> std::process::Output {
    let mut args = vec!["replay", input, "--darknet", DARKNET, "--store", store, "--sensor", sensor, "-q"];
    if replace {
        args.push("--replace");
    }
    Command::new(env!("CARGO_BIN_EXE_darkscope")).args(&args).output().expect("running replay")
}

/// The sums of the tables' totals of several stores.
fn sum(stores: &[&BTreeMap<String, [i64; 2]>]) -> BTreeMap<String, [i64; 2]> {
    let mut out: BTreeMap<String, [i64; 2]> = BTreeMap::new();
    for store in stores {
        for (table, [rows, packets]) in *store {
            let s = out.entry(table.clone()).or_default();
            s[0] += rows;
            s[1] += packets;
        }
    }
    out
}

#[test]
fn a_replay_into_a_full_store_fails_clearly_keeps_the_store_and_succeeds_once_there_is_room() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, _) = common::store::generate_days(dir.path(), "2024-03-01", 2, 60_000, 6_000);
    let (b, _) = common::store::generate_days(dir.path(), "2024-05-01", 2, 60_000, 6_000);
    let mut duck = Totals::start();
    // Each input alone, in a store on an ordinary disk.
    let mut single = Vec::new();
    for (i, input) in [&a, &b].into_iter().enumerate() {
        let store = dir.path().join(format!("single{i}"));
        assert!(replay(input, &store.to_string_lossy(), &format!("s{i}"), false).status.success());
        single.push(table_totals(&duck.of(&store)));
    }

    let disk = Tmpfs::mount(&dir.path().join("disk"), "8m");
    let store = disk.0.join("store");
    let store_arg = store.to_string_lossy().into_owned();
    assert!(replay(&a, &store_arg, "s0", false).status.success(), "A fits");
    let before = duck.of(&store);
    assert_eq!(table_totals(&before), single[0]);

    // Full but for 32 KiB: a new part, and a --replace of the stored one.
    let filler = disk.fill(32 * 1024);
    for (input, sensor, replace) in [(&b, "s1", false), (&a, "s0", true)] {
        let out = replay(input, &store_arg, sensor, replace);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{sensor}: exit 1 on a full disk: {stderr}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(errors.len(), 1, "one error: {stderr}");
        assert!(errors[0].contains(&format!("the disk of the store {store_arg} is full")), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(temporary_files(&store), Vec::<PathBuf>::new(), "{sensor}: no temporary file left");
        assert!(!common::store::journal(&store), "{sensor}: no commit started");
        assert_eq!(duck.of(&store), before, "{sensor}: the store as it was");
        ok(&["report", "--store", &store_arg, "--format", "json"]);
    }

    // Room again: the same replay succeeds.
    std::fs::remove_file(filler).expect("freeing the disk");
    assert!(replay(&b, &store_arg, "s1", false).status.success(), "B stored once there is room");
    assert_eq!(table_totals(&duck.of(&store)), sum(&[&single[0], &single[1]]));
}

#[test]
fn a_daemon_whose_store_fills_up_keeps_capturing_and_stores_everything_once_there_is_room() {
    if !live_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (capture, per_send) = sent_capture(dir.path(), 3000, 500, 52);
    let disk = Tmpfs::mount(&dir.path().join("disk"), "4m");
    let store = disk.0.join("store");
    let store_arg = store.to_string_lossy().into_owned();
    let veth = Veth::new();
    let args = ["--darknet", DARKNET, "--store", &store_arg, "--sensor", "s1", "--flush", "1", "--log-level", "debug"];
    let mut daemon = Daemon::start(&veth, &args);
    let mut duck = Totals::start();
    veth.send(&capture, 6_000);
    let flushed = daemon.lines_with("flushed");
    daemon.wait_for_lines("flushed", flushed + 2, Duration::from_secs(10));
    assert_eq!(table_totals(&duck.of(&store))["sources"][1], per_send, "the first send stored");

    // No room: the flushes fail, the daemon goes on capturing.
    let filler = disk.fill(0);
    veth.send(&capture, 6_000);
    daemon.wait_for_line("flush failed", Duration::from_secs(10));
    let failed = daemon.log.iter().find(|l| l.contains("flush failed")).cloned().unwrap_or_default();
    assert!(failed.contains(&format!("the disk of the store {store_arg} is full")), "{failed}");
    let (status, body) = veth.get("http://127.0.0.1:9187/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("the last flush failed") && body.contains("is full"), "{body}");
    let metrics = veth.get("http://127.0.0.1:9187/metrics").1;
    let failures = metrics.lines().find_map(|l| l.strip_prefix("darkscope_flush_failures_total "));
    assert!(failures.and_then(|v| v.parse::<f64>().ok()).is_some_and(|v| v >= 1.0), "{metrics}");
    let during = duck.of(&store);
    assert_eq!(table_totals(&during)["sources"][1], per_send, "what was stored is intact");
    assert!(daemon.child.try_wait().expect("polling").is_none(), "the daemon kept running");

    // Room again: the next flush stores both sends; healthy again.
    std::fs::remove_file(filler).expect("freeing the disk");
    let start = Instant::now();
    while veth.get("http://127.0.0.1:9187/healthz").0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(10), "healthy again once a flush succeeds");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(table_totals(&duck.of(&store))["sources"][1], 2 * per_send, "both sends stored");
    veth.send(&capture, 6_000);
    std::thread::sleep(Duration::from_millis(600));
    assert!(daemon.signal("TERM").success(), "SIGTERM: exit 0");
    assert_eq!(table_totals(&duck.of(&store))["sources"][1], 3 * per_send, "every send stored");
    assert_eq!(temporary_files(&store), Vec::<PathBuf>::new(), "no temporary file left");
}
