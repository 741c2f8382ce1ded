//! A two-host test network for the live-capture tests: two network
//! namespaces joined by a veth pair, made by the test and always removed
//! (also when the test fails: `Drop`). The darknet end's namespace runs the
//! daemon, the other sends with tcpreplay; neither namespace has a route
//! anywhere, so no packet leaves them.
//!
//! Needs root (`ip netns`). Without it, or without tcpreplay, the tests fail
//! and say what to do; `DARKSCOPE_SKIP_LIVE=1` skips them (saying so).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// Whether live tests should run; panics with the fix when they cannot.
pub fn live_tests_enabled() -> bool {
    if std::env::var_os("DARKSCOPE_SKIP_LIVE").is_some() {
        eprintln!("DARKSCOPE_SKIP_LIVE is set: skipping a live-capture test");
        return false;
    }
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    assert!(root, "live-capture tests need root (network namespaces): run as root, or set DARKSCOPE_SKIP_LIVE=1");
    for tool in ["ip", "tcpreplay"] {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output();
        assert!(
            found.is_ok_and(|o| o.status.success()),
            "{tool} is missing: apt-get install iproute2 tcpreplay (tools/setup.sh test does)"
        );
    }
    true
}

/// The sender's and the darknet's namespaces and their veth ends.
pub struct Veth {
    pub sender_ns: String,
    pub dark_ns: String,
    pub sender_if: String,
    pub dark_if: String,
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("running ip");
    assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl Veth {
    /// Makes the pair (names unique to this process and call).
    pub fn new() -> Veth {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let id = format!("{}{}", std::process::id() % 1_000_000, NEXT.fetch_add(1, Ordering::SeqCst));
        let veth = Veth {
            sender_ns: format!("ds-send-{id}"),
            dark_ns: format!("ds-dark-{id}"),
            sender_if: format!("dss{id}"),
            dark_if: format!("dsd{id}"),
        };
        ip(&["netns", "add", &veth.sender_ns]);
        ip(&["netns", "add", &veth.dark_ns]);
        ip(&["link", "add", &veth.sender_if, "type", "veth", "peer", "name", &veth.dark_if]);
        for (ns, dev) in [(&veth.sender_ns, &veth.sender_if), (&veth.dark_ns, &veth.dark_if)] {
            ip(&["link", "set", dev, "netns", ns]);
            // No IPv6 autoconfiguration chatter on the link.
            let sysctl = ["netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"];
            ip(&sysctl);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        veth
    }

    /// A command run in the darknet's namespace.
    pub fn in_dark(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.dark_ns, program]);
        command
    }

    /// Sends `capture` from the sender's end at `pps` packets a second;
    /// returns when tcpreplay is done.
    pub fn send(&self, capture: &str, pps: u32) {
        let out = Command::new("ip")
            .args(["netns", "exec", &self.sender_ns, "tcpreplay", "-q", "-i", &self.sender_if])
            .args(["--pps", &pps.to_string(), capture])
            .output()
            .expect("running tcpreplay");
        assert!(out.status.success(), "tcpreplay failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Veth {
    /// Runs `tests/SCRIPT ARGS` with the venv's Python in the darknet's
    /// namespace (where the daemon's HTTP side listens) and parses its JSON.
    pub fn python_json(&self, script: &str, args: &[&str]) -> serde_json::Value {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(script);
        let out = self.in_dark(&super::python::python().to_string_lossy()).arg(&script).args(args).output();
        let out = out.expect("running the venv's Python in the namespace");
        assert!(out.status.success(), "{} failed: {}", script.display(), String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{} printed no JSON ({e})", script.display()))
    }

    /// GETs a URL in the darknet's namespace: (status, body).
    pub fn get(&self, url: &str) -> (u64, String) {
        let got = self.python_json("capture/http_get.py", &[url]);
        (got["status"].as_u64().unwrap_or(0), got["body"].as_str().unwrap_or_default().to_string())
    }
}

impl Drop for Veth {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end in it, and its peer.
        for ns in [&self.dark_ns, &self.sender_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// A daemon started in the darknet's namespace; killed if still running
/// when dropped. Its log lines are collected.
pub struct Daemon {
    pub child: Child,
    lines: Receiver<String>,
    pub log: Vec<String>,
}

impl Daemon {
    /// Starts `darkscope capture ARGS --iface <the darknet end>` and waits
    /// for its "capture started" line.
    pub fn start(veth: &Veth, args: &[&str]) -> Daemon {
        Daemon::start_with_env(veth, args, &[])
    }

    /// [`Daemon::start`] with environment variables set.
    pub fn start_with_env(veth: &Veth, args: &[&str], env: &[(&str, &str)]) -> Daemon {
        let mut child = veth
            .in_dark(env!("CARGO_BIN_EXE_darkscope"))
            .args(["capture", "--iface", &veth.dark_if])
            .args(args)
            .envs(env.iter().copied())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("starting darkscope capture");
        let stderr = child.stderr.take().expect("the daemon's stderr");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut daemon = Daemon { child, lines, log: Vec::new() };
        daemon.wait_for_line("capture started", Duration::from_secs(20));
        daemon
    }

    /// Waits until a log line contains `text`.
    pub fn wait_for_line(&mut self, text: &str, limit: Duration) {
        self.wait_for_lines(text, 1, limit);
    }

    /// Log lines so far that contain `text`.
    pub fn lines_with(&mut self, text: &str) -> usize {
        self.log.extend(self.lines.try_iter());
        self.log.iter().filter(|l| l.contains(text)).count()
    }

    /// Waits until `n` log lines contain `text`.
    pub fn wait_for_lines(&mut self, text: &str, n: usize, limit: Duration) {
        let start = Instant::now();
        while self.log.iter().filter(|l| l.contains(text)).count() < n {
            let left = limit.saturating_sub(start.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.log.push(line),
                Err(_) => panic!("no log line with '{text}' within {limit:?}; the log:\n{}", self.log.join("\n")),
            }
        }
    }

    /// Waits up to `limit` for the daemon to end by itself; gives its
    /// status, or None (still running).
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("polling the daemon") {
                self.log.extend(self.lines.try_iter());
                return Some(status);
            }
            if start.elapsed() > limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (TERM, KILL) and waits for the exit; gives the status.
    pub fn signal(self, signal: &str) -> std::process::ExitStatus {
        self.signal_with_log(signal).0
    }

    /// [`Daemon::signal`], and every log line of the daemon.
    pub fn signal_with_log(mut self, signal: &str) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args([&format!("-{signal}"), &pid]).status().expect("running kill");
        assert!(sent.success(), "kill -{signal} {pid}");
        let status = self.child.wait().expect("waiting for the daemon");
        // The reading thread ends with the daemon's stderr.
        self.log.extend(self.lines.iter());
        (status, std::mem::take(&mut self.log))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A capture for a live test to send (`generate` with these figures, in
/// `dir`) and its darknet packets by the generator's ground truth.
pub fn sent_capture(dir: &std::path::Path, packets: u32, sources: u32, seed: u32) -> (String, i64) {
    let capture = dir.join(format!("sent-{seed}.pcap")).to_string_lossy().into_owned();
    let (packets, sources, seed) = (packets.to_string(), sources.to_string(), seed.to_string());
    super::cli::ok(&["generate", "--out", &capture, "--packets", &packets, "--sources", &sources, "--seed", &seed]);
    let truth = std::fs::read(format!("{capture}.truth.json")).expect("the truth file");
    let truth: serde_json::Value = serde_json::from_slice(&truth).expect("truth JSON");
    let darknet = truth["summary"]["packets"].as_i64().expect("the truth's packets");
    (capture, darknet)
}

/// `promtool check metrics` accepts a `/metrics` text without a word.
pub fn promtool_check(text: &str) {
    let check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("running promtool (Debian package prometheus; tools/setup.sh test installs it)");
    let said = format!("{}{}", String::from_utf8_lossy(&check.stdout), String::from_utf8_lossy(&check.stderr));
    assert!(check.status.success() && said.trim().is_empty(), "promtool check metrics: {said}");
}

/// The samples of a `/metrics` text: `name{labels}` → value.
pub fn metric_samples(text: &str) -> std::collections::BTreeMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' ').and_then(|(k, v)| Some((k.to_string(), v.parse().ok()?))))
        .collect()
}

/// A `darkscope ARGS` command; with `host`, run as a writer of another
/// host sharing the folders: in UTS, PID and mount namespaces of its own
/// (`unshare`, root only), with that host name and process id 1, as a
/// writer in a container of another machine has.
pub fn darkscope_on(host: Option<&str>, args: &[&str]) -> Command {
    match host {
        Some(host) => {
            let mut c = Command::new("unshare");
            c.args([
                "--uts",
                "--pid",
                "--fork",
                "--mount",
                "--mount-proc",
                "sh",
                "-c",
                r#"hostname "$0" && exec "$@""#,
            ])
            .arg(host)
            .arg(env!("CARGO_BIN_EXE_darkscope"))
            .args(args);
            c
        }
        None => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_darkscope"));
            c.args(args);
            c
        }
    }
}
