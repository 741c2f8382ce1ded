//! Attack methods: the name an analyst ranks IDS alerts by (the NPA's
//! "intrusion attempts by attack method"). The first `[[method]]` of the
//! mapping (`--methods FILE`, else the bundled `data/methods/methods.toml`)
//! whose signature ids or signature-text expressions match names the
//! alert; else its signature's family (Snort's `INDICATOR-SCAN …` →
//! `INDICATOR-SCAN`, Emerging Threats' `ET SCAN …` → `ET SCAN`); else its
//! category; else `unclassified`.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::Arc;

use regex::RegexSet;
use serde::Deserialize;

const BUNDLED: &str = include_str!("../../data/methods/methods.toml");

/// Why a mapping cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MethodsError {
    #[error("reading {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not a method mapping: {problem} (see README, \"Attack methods\")")]
    Invalid { path: String, problem: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    method: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    sids: Vec<SidSpec>,
    #[serde(default)]
    signatures: Vec<String>,
}

/// `2000000` or `"2000000-2000100"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum SidSpec {
    One(u32),
    Text(String),
}

#[derive(Clone)]
struct Method {
    name: Arc<str>,
    sids: Vec<RangeInclusive<u32>>,
    signatures: Option<RegexSet>,
}

/// A mapping of alerts to attack methods, with a memory of the
/// signatures seen (an alert's method is decided once per signature).
#[derive(Clone)]
pub struct Methods {
    methods: Vec<Method>,
    /// By (gid, sid, rev): the signature text and its method.
    seen: HashMap<(u32, u32, u32), (String, Arc<str>)>,
    /// Where the mapping came from, for the summary.
    pub origin: String,
}

impl Methods {
    pub fn bundled() -> Methods {
        Methods::parse(BUNDLED, "the bundled mapping").expect("the bundled mapping is valid (a unit test reads it)")
    }

    pub fn open(path: &Path) -> Result<Methods, MethodsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| MethodsError::Io { path: name.clone(), source })?;
        Methods::parse(&text, &name)
    }

    pub fn parse(text: &str, origin: &str) -> Result<Methods, MethodsError> {
        let invalid = |problem: String| MethodsError::Invalid { path: origin.to_string(), problem };
        let file: File = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        let mut methods = Vec::with_capacity(file.method.len());
        for entry in file.method {
            let name = entry.name.trim();
            if name.is_empty() {
                return Err(invalid("a [[method]] has an empty name".into()));
            }
            if entry.sids.is_empty() && entry.signatures.is_empty() {
                return Err(invalid(format!("method {name:?} has neither sids nor signatures")));
            }
            let sids = entry.sids.iter().map(|s| sid_range(s, name)).collect::<Result<_, _>>().map_err(invalid)?;
            let signatures = match entry.signatures.is_empty() {
                true => None,
                false => Some(RegexSet::new(&entry.signatures).map_err(|e| invalid(format!("method {name:?}: {e}")))?),
            };
            methods.push(Method { name: name.into(), sids, signatures });
        }
        Ok(Methods { methods, seen: HashMap::new(), origin: origin.to_string() })
    }

    /// The attack method of an alert of signature `sid` (of `gid`,
    /// revision `rev`) with text `signature` and `category`.
    pub fn method(&mut self, gid: u32, sid: u32, rev: u32, signature: &str, category: &str) -> Arc<str> {
        if let Some((text, method)) = self.seen.get(&(gid, sid, rev))
            && text == signature
        {
            return method.clone();
        }
        let method = self.decide(sid, signature, category);
        self.seen.insert((gid, sid, rev), (signature.to_string(), method.clone()));
        method
    }

    fn decide(&self, sid: u32, signature: &str, category: &str) -> Arc<str> {
        let matches = |m: &&Method| {
            m.sids.iter().any(|r| r.contains(&sid)) || m.signatures.as_ref().is_some_and(|s| s.is_match(signature))
        };
        if let Some(m) = self.methods.iter().find(matches) {
            return m.name.clone();
        }
        match family(signature) {
            Some(family) => family.into(),
            None if !category.trim().is_empty() => category.trim().into(),
            None => "unclassified".into(),
        }
    }
}

fn sid_range(spec: &SidSpec, name: &str) -> Result<RangeInclusive<u32>, String> {
    let bad = |text: &str| format!("method {name:?}: sid {text:?} is not a number or first-last");
    match spec {
        SidSpec::One(n) => Ok(*n..=*n),
        SidSpec::Text(text) => {
            let (a, b) = text.split_once('-').unwrap_or((text, text));
            let (a, b) =
                (a.trim().parse::<u32>().map_err(|_| bad(text))?, b.trim().parse::<u32>().map_err(|_| bad(text))?);
            if a > b {
                return Err(bad(text));
            }
            Ok(a..=b)
        }
    }
}

/// A signature's family: Snort's first word when it is hyphenated capitals
/// (`SERVER-WEBAPP`), or Emerging Threats' and the old GPL set's prefix with
/// its next word (`ET SCAN`, `ETPRO EXPLOIT`, `GPL ICMP_INFO`).
pub fn family(signature: &str) -> Option<&str> {
    let signature = signature.trim();
    let mut words = signature.split_whitespace();
    let first = words.next()?;
    let capitals = |w: &str| w.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if matches!(first, "ET" | "ETPRO" | "GPL") {
        let second = words.next().filter(|w| capitals(w))?;
        let end = signature.find(second)? + second.len();
        return Some(&signature[..end]);
    }
    (first.contains('-') && capitals(first) && first.chars().any(|c| c.is_ascii_uppercase())).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_goes_mapping_then_family_then_category() {
        let mut m = Methods::bundled();
        let mut method = |sid, signature: &str, category: &str| m.method(1, sid, 1, signature, category).to_string();
        assert_eq!(method(2_001_219, "ET SCAN Potential SSH Scan", "Attempted Information Leak"), "SSH brute force");
        assert_eq!(method(1, "ET SCAN Suspicious inbound to mySQL port 3306", "x"), "ET SCAN");
        assert_eq!(method(2, "ET DROP Dshield Block Listed Source group 1", ""), "ET DROP");
        assert_eq!(method(3, "INDICATOR-SCAN UPnP service discover attempt", ""), "INDICATOR-SCAN");
        assert_eq!(method(4, "SERVER-WEBAPP Netgear DGN1000 command injection", ""), "SERVER-WEBAPP");
        assert_eq!(method(5, "ET EXPLOIT [PTsecurity] DoublePulsar Backdoor", ""), "SMBv1");
        assert_eq!(
            method(6, "ET SCAN MS Terminal Server Traffic on Non-standard Port", ""),
            "Microsoft Windows Terminal server"
        );
        assert_eq!(method(7, "GPL ICMP_INFO PING *NIX", "Misc activity"), "ICMP");
        assert_eq!(method(8, "my own rule", "Misc activity"), "Misc activity");
        assert_eq!(method(9, "my own rule", " "), "unclassified");
    }

    #[test]
    fn a_mapping_file_by_sid_ranges_and_expressions_first_match_winning() {
        let text = r#"
            [[method]]
            name = "Mine"
            sids = [1000001, "1000010-1000019"]
            [[method]]
            name = "Web"
            signatures = ['(?i)wordpress', 'wp-login']
            [[method]]
            name = "Later"
            sids = ["1000015"]
        "#;
        let mut m = Methods::parse(text, "m.toml").expect("valid");
        assert_eq!(&*m.method(1, 1_000_001, 1, "anything", ""), "Mine");
        assert_eq!(&*m.method(1, 1_000_015, 1, "anything", ""), "Mine");
        assert_eq!(&*m.method(1, 1_000_020, 1, "SERVER-WEBAPP WordPress xmlrpc", ""), "Web");
        assert_eq!(&*m.method(1, 1_000_021, 1, "ET SCAN whatever", ""), "ET SCAN", "no bundled rules in a file");
        // The memory of a signature is kept apart by its text.
        assert_eq!(&*m.method(1, 1_000_020, 1, "PROTOCOL-DNS x", ""), "PROTOCOL-DNS");
    }

    #[test]
    fn bad_mappings_are_named() {
        for (text, says) in [
            ("[[method]]\nname = \"\"\nsids = [1]", "empty name"),
            ("[[method]]\nname = \"A\"", "neither sids nor signatures"),
            ("[[method]]\nname = \"A\"\nsids = [\"9-1\"]", "\"9-1\""),
            ("[[method]]\nname = \"A\"\nsignatures = [\"(\"]", "method \"A\""),
            ("[[method]]\nname = \"A\"\nsid = [1]", "unknown field"),
            ("not toml", "m.toml"),
        ] {
            let e = Methods::parse(text, "m.toml").err().expect("refused").to_string();
            assert!(e.contains(says) && e.contains("m.toml"), "{text:?}: {e}");
        }
    }

    #[test]
    fn families() {
        assert_eq!(family("ETPRO EXPLOIT thing"), Some("ETPRO EXPLOIT"));
        assert_eq!(family("ET"), None);
        assert_eq!(family("OS-WINDOWS Microsoft Windows SMB remote code execution"), Some("OS-WINDOWS"));
        assert_eq!(family("Snort Alert [1:2:3]"), None);
        assert_eq!(family("-"), None);
    }
}
