//! tools/darkscope-capture.service, the sensor's systemd unit: accepted by
//! `systemd-analyze verify` (with ExecStart pointed at this build), running
//! as its own user with CAP_NET_RAW and CAP_NET_ADMIN only, and starting
//! `darkscope capture` from a config file whose flags the daemon knows.

use std::process::Command;

#[test]
fn the_systemd_unit_verifies_and_grants_only_the_capture_capabilities() {
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/darkscope-capture.service"))
        .expect("reading the unit");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("darkscope-capture.service");
    std::fs::write(&path, unit.replace("/usr/local/bin/darkscope", env!("CARGO_BIN_EXE_darkscope"))).expect("writing");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run systemd-analyze ({e}): it comes with Debian's systemd package"));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && said.trim().is_empty(), "systemd-analyze verify: {said}");

    let value = |key: &str| unit.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).map(str::to_string);
    assert_eq!(value("CapabilityBoundingSet").as_deref(), Some("CAP_NET_RAW CAP_NET_ADMIN"));
    assert_eq!(value("AmbientCapabilities").as_deref(), Some("CAP_NET_RAW CAP_NET_ADMIN"));
    assert_eq!(value("Restart").as_deref(), Some("on-failure"));
    assert_eq!(value("User").as_deref(), Some("darkscope"));
    assert_eq!(value("NoNewPrivileges").as_deref(), Some("yes"));
    let exec = value("ExecStart").expect("ExecStart");
    assert!(exec.ends_with("capture --config /etc/darkscope/capture.toml"), "{exec}");
}
