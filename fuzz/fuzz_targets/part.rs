//! The store's reader of a part: the input as one Parquet file of a small
//! store (which file: the first byte), read by the report as `darkscope
//! report --store` reads it. The store is a small generated capture
//! replayed once per fuzzing process, with a few IDS alerts; after each
//! input the file is put back.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use darkscope::report::{ReportOptions, build};
use libfuzzer_sys::fuzz_target;

struct Template {
    store: PathBuf,
    /// Every Parquet file of the store, and its bytes.
    files: Vec<(PathBuf, Vec<u8>)>,
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let store = std::env::temp_dir().join(format!("darkscope-fuzz-part-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&store);
        // Small, so that reading it costs little beside the input.
        let capture = store.with_extension("pcap").to_string_lossy().into_owned();
        let store_arg = store.to_string_lossy().into_owned();
        let generate = ["generate", "--out", &capture, "--packets", "600", "--sources", "60", "--days", "2"];
        // A few IDS alerts, so that the store has an `alerts` table too.
        let eve = store.with_extension("eve.json");
        let line = |day: u32, src: &str, sid: u32, signature: &str| {
            format!(
                r#"{{"timestamp":"2024-01-0{day}T10:00:00.000000+0000","event_type":"alert","src_ip":"{src}","dest_ip":"198.18.0.9","dest_port":23,"proto":"TCP","alert":{{"signature_id":{sid},"signature":"{signature}","category":"c","severity":2}}}}"#
            )
        };
        let alerts = [line(1, "1.2.3.4", 1917, "INDICATOR-SCAN a"), line(2, "5.6.7.8", 2001219, "ET SCAN SSH Scan")];
        std::fs::write(&eve, alerts.join("\n")).expect("writing the alerts");
        let eve = eve.to_string_lossy().into_owned();
        let replay = ["replay", &capture, "--darknet", "198.18.0.0/16", "-q", "--store", &store_arg, "--alerts", &eve];
        for args in [&generate[..], &replay[..]] {
            let argv = std::iter::once("darkscope").chain(args.iter().copied()).map(Into::into).collect();
            assert_eq!(darkscope::cli::run(argv), std::process::ExitCode::SUCCESS, "darkscope {args:?}");
        }
        let mut files = Vec::new();
        let mut folders = vec![store.clone()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).expect("reading the store") {
                let path = entry.expect("an entry").path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "parquet") {
                    let bytes = std::fs::read(&path).expect("reading a part");
                    files.push((path, bytes));
                }
            }
        }
        files.sort();
        // The seeds: each file behind its index byte (fuzz/smoke.sh copies them).
        if let Some(seeds) = std::env::var_os("DARKSCOPE_FUZZ_PART_SEEDS") {
            for (i, (_, bytes)) in files.iter().enumerate() {
                let seed = [&[i as u8][..], bytes].concat();
                std::fs::write(Path::new(&seeds).join(format!("file{i:03}")), seed).expect("writing a seed");
            }
        }
        Template { store, files }
    })
}

fuzz_target!(|data: &[u8]| {
    let t = template();
    let Some((&which, bytes)) = data.split_first() else { return };
    let (path, original) = &t.files[usize::from(which) % t.files.len()];
    std::fs::write(path, bytes).expect("writing the part");
    let options = ReportOptions {
        period: None,
        baseline: None,
        top: 10,
        home_country: "JP".into(),
        min_baseline: 100,
        sensors: Vec::new(),
        changes: false,
    };
    let _ = build(&t.store, &options);
    std::fs::write(path, original).expect("putting the part back");
});
