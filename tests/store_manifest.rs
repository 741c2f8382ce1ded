//! A manifest whose entries name paths outside the store (`../` in a day,
//! a separator in a sensor or part) is refused when the store is opened,
//! with one error naming the entry, before anything is written or removed:
//! `--replace` used to delete the files such an entry named.

use std::collections::BTreeMap;
use std::path::Path;

mod common;
mod rules_support;

use common::capture::*;
use common::cli::{ok, run};
use rules_support::*;

fn snapshot(dir: &Path) -> BTreeMap<std::path::PathBuf, Vec<u8>> {
    common::store::files(dir).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

#[test]
fn a_manifest_entry_pointing_outside_the_store_is_refused_and_nothing_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Pcap::new(LINKTYPE_RAW);
    for t in [0, 60, 120] {
        p.record(T0 + t, 0, &udp4(53), udp4(53).len() as u32);
    }
    let capture = write_temp(dir.path(), "c.pcap", &p.bytes()).to_string_lossy().into_owned();
    let store = dir.path().join("store");
    let store_arg = store.to_string_lossy().into_owned();
    let replay = ["replay", &capture, "--darknet", NET, "--store", &store_arg, "--sensor", "s", "-q"];
    ok(&replay);

    // The part's day gets a tail that climbs out of the store; a file of
    // that part's name waits there.
    let part = common::store::manifest(&store)["parts"][0]["part"].as_str().unwrap().to_string();
    let entry_path = common::store::entry_path(&store, "s", &part);
    let mut entry: serde_json::Value = serde_json::from_slice(&std::fs::read(&entry_path).unwrap()).unwrap();
    let evil = "2024-01-01/../../../outside";
    entry["part"]["days"].as_array_mut().unwrap().push(evil.into());
    std::fs::write(&entry_path, serde_json::to_vec_pretty(&entry).unwrap()).unwrap();
    std::fs::create_dir(dir.path().join("outside")).unwrap();
    let canary = write_temp(&dir.path().join("outside"), &format!("s-{part}.parquet"), b"not the store's");
    let before = snapshot(&store);

    let out = run(&[&replay[..], &["--replace"]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("manifest.d/s-{part}.json")) && stderr.contains("part 0") && stderr.contains(evil),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one error: {stderr}");
    assert_eq!(std::fs::read(&canary).unwrap(), b"not the store's", "the file outside the store was touched");
    assert_eq!(snapshot(&store), before, "the store changed");
}
