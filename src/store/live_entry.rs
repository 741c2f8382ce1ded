//! A live part's manifest entry (see [`super`]): updated at every flush,
//! in the flush's commit; the sensor's other live parts sealed when a run
//! of another configuration starts; and, while the store still has its
//! old `manifest.json`, a claim so that the commit that converts it races
//! no other (see [`crate::store::claim`]).

use std::collections::BTreeSet;

use super::super::claim::Claim;
use super::super::commit::Commit;
use super::super::manifest::LiveInfo;
use super::super::{MANIFEST, Manifest, Part, StoreError};
use super::{LiveDay, LiveStore};

impl LiveStore {
    /// Makes final the open days of the sensor's other live parts (runs
    /// with another darknet or exclusion: this run cannot continue them):
    /// their files stay as last flushed, their states go. Gives the parts.
    pub fn seal_other_parts(&self) -> Result<Vec<String>, StoreError> {
        let _converting = self.converting_claim()?;
        super::super::commit::recover(&self.dir)?;
        let mut manifest = Manifest::load(&self.dir)?;
        let mut sealed = Vec::new();
        for part in manifest.parts.iter_mut().filter(|p| p.sensor == self.sensor && p.part != self.part) {
            if let Some(live) = &mut part.live
                && !live.open_days.is_empty()
            {
                live.open_days.clear();
                sealed.push(part.part.clone());
            }
        }
        if sealed.is_empty() {
            return Ok(sealed);
        }
        let mut commit = Commit::default();
        commit.entries(&self.dir, &manifest, |p| p.sensor == self.sensor && sealed.contains(&p.part), &[]);
        commit.apply(&self.dir)?;
        for part in &sealed {
            let states = self.dir.join(".live").join(format!("{}-{part}", self.sensor));
            match std::fs::remove_dir_all(&states) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::Io { path: states, source: e });
                }
                _ => {}
            }
        }
        Ok(sealed)
    }

    /// While the store still has its old `manifest.json`, which this
    /// commit converts, a claim that no other writer commits beside it
    /// (see [`crate::store::claim`]); None once converted.
    fn converting_claim(&self) -> Result<Option<Claim>, StoreError> {
        if !self.dir.join(MANIFEST).is_file() {
            return Ok(None);
        }
        let waiting = |note: &str| eprintln!("store: {note}");
        Claim::settle(&self.dir, &self.sensor, &[], &waiting).map(Some)
    }

    /// Renames the flush's tables into place and updates the part's entry
    /// in the manifest (its days, which of them are open, this run), in one
    /// commit (see [`crate::store::commit`]).
    pub(super) fn commit(&self, days: &[LiveDay], mut commit: Commit) -> Result<(), StoreError> {
        let _converting = self.converting_claim()?;
        super::super::commit::recover(&self.dir)?;
        let mut manifest = Manifest::load(&self.dir)?;
        let at = manifest.parts.iter().position(|p| p.sensor == self.sensor && p.part == self.part);
        let part = match at {
            Some(i) => &mut manifest.parts[i],
            None => {
                manifest.parts.push(Part {
                    sensor: self.sensor.clone(),
                    part: self.part.clone(),
                    inputs: Vec::new(),
                    days: Vec::new(),
                    provenance: self.provenance.clone(),
                    live: Some(LiveInfo::default()),
                });
                manifest.parts.last_mut().expect("just pushed")
            }
        };
        let mut all: BTreeSet<String> = part.days.iter().cloned().collect();
        all.extend(days.iter().map(|d| d.snapshot.day.to_string()));
        part.days = all.into_iter().collect();
        let open = days.iter().filter(|d| !d.snapshot.closed).map(|d| d.snapshot.day.to_string());
        part.live = Some(LiveInfo { open_days: open.collect() });
        part.provenance = self.provenance.clone();
        match part.inputs.iter_mut().find(|i| i.path == self.run.path && i.first_ns == self.run.first_ns) {
            Some(entry) => *entry = self.run.clone(),
            None => part.inputs.push(self.run.clone()),
        }
        commit.entries(&self.dir, &manifest, |p| p.sensor == self.sensor && p.part == self.part, &[]);
        commit.apply(&self.dir)
    }
}
