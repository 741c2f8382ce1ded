//! `--config FILE`: the flags of `replay`, `capture` and `report` from a
//! TOML file. Keys are the flags' long names (`buffer-mb = 512`, or
//! `buffer_mb`); a repeatable flag takes an array (`darknet =
//! ["198.18.0.0/16"]`); a switch takes `true`. A flag given on the command
//! line overrides the file's value (for repeatable flags too: the command
//! line's values replace the file's). A key that names no flag of the
//! command is an error naming the key and the file.
//!
//! The file's flags are put on the command line before clap parses it, so
//! every value is checked, and explained when wrong, the same way.

use std::ffi::{OsStr, OsString};
use std::path::Path;

use clap::CommandFactory;

use super::Cli;

/// Commands that take `--config`.
const COMMANDS: [&str; 3] = ["replay", "capture", "report"];

/// `argv` with the flags of its `--config` file added (see the module
/// docs); an error is a usage error's message.
pub fn expand(argv: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(command) = argv.get(1).and_then(|a| a.to_str()).filter(|a| COMMANDS.contains(a)) else {
        return Ok(argv);
    };
    let Some(path) = config_path(&argv[2..])? else {
        return Ok(argv);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("--config {}: cannot read it ({e}): check the path", path.display()))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e: toml::de::Error| {
        format!("--config {}: not valid TOML: {}", path.display(), one_line(&e.to_string()))
    })?;
    let mut cli = Cli::command();
    cli.build();
    let sub = cli.find_subcommand(command).ok_or_else(|| format!("no command {command}"))?;
    let given: Vec<&str> = argv[2..].iter().filter_map(|a| a.to_str()).collect();
    let mut added: Vec<OsString> = Vec::new();
    for (key, value) in &table {
        let flag = key.replace('_', "-");
        let arg = sub.get_arguments().find(|a| a.get_long() == Some(flag.as_str()));
        let Some(arg) = arg.filter(|_| flag != "config" && flag != "help") else {
            let known: Vec<&str> =
                sub.get_arguments().filter_map(|a| a.get_long()).filter(|l| *l != "config" && *l != "help").collect();
            return Err(format!(
                "--config {}: unknown key '{key}': `darkscope {command}` has no flag --{flag} (keys are the flags' \
                 long names: {})",
                path.display(),
                known.join(", ")
            ));
        };
        // The command line wins.
        if given.iter().any(|g| *g == format!("--{flag}") || g.starts_with(&format!("--{flag}="))) {
            continue;
        }
        let takes_value = arg.get_action().takes_values();
        let values = match &value {
            toml::Value::Array(items) => items.iter().map(|v| scalar(v, key, &path)).collect::<Result<Vec<_>, _>>()?,
            other => vec![scalar(other, key, &path)?],
        };
        for v in values {
            match (takes_value, v.as_str()) {
                (false, "true") => added.push(format!("--{flag}").into()),
                (false, "false") => {}
                (false, _) => {
                    return Err(format!("--config {}: '{key}' is a switch: write {key} = true", path.display()));
                }
                (true, _) => added.push(format!("--{flag}={v}").into()),
            }
        }
    }
    let mut out = argv[..2].to_vec();
    out.extend(added);
    out.extend(argv[2..].iter().cloned());
    Ok(out)
}

/// The `--config` value among the command's arguments, if any.
fn config_path(args: &[OsString]) -> Result<Option<std::path::PathBuf>, String> {
    let mut found = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == OsStr::new("--") {
            break;
        }
        if arg == OsStr::new("--config") {
            let value = it.next().ok_or("--config needs a FILE (a TOML file of flags)")?;
            found = Some(Path::new(value).to_path_buf());
        } else if let Some(value) = arg.to_str().and_then(|a| a.strip_prefix("--config=")) {
            found = Some(Path::new(value).to_path_buf());
        }
    }
    Ok(found)
}

/// A TOML value as a flag's text.
fn scalar(value: &toml::Value, key: &str, path: &Path) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Float(f) => Ok(f.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        _ => Err(format!(
            "--config {}: '{key}' must be a string, number, true/false or an array of them",
            path.display()
        )),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn file_flags_come_first_and_the_command_line_wins() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "darknet = ['198.18.0.0/16', '10.0.0.0/8']\ntop = 5\nquiet = true\nmax_gap = 300\n")
            .unwrap();
        let f = file.to_string_lossy().into_owned();
        let got = expand(args(&["darkscope", "replay", "x.pcap", "--config", &f, "--top", "7"])).unwrap();
        let want = args(&[
            "darkscope",
            "replay",
            "--darknet=198.18.0.0/16",
            "--darknet=10.0.0.0/8",
            "--max-gap=300",
            "--quiet",
            "x.pcap",
            "--config",
            &f,
            "--top",
            "7",
        ]);
        assert_eq!(got, want);
        std::fs::write(&file, "buffer_mb = 1\n").unwrap();
        let error = expand(args(&["darkscope", "replay", "--config", &f])).unwrap_err();
        assert!(error.contains("unknown key 'buffer_mb'") && error.contains(&f), "{error}");
    }
}
