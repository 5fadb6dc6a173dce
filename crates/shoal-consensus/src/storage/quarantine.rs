//! The replicas of this node found damaged. A group goes into quarantine the first time one
//! of its records fails its checksum (or a consistency check finds its state differs from
//! its peers'): from then on it must neither vote nor serve, and its data stays on disk,
//! untouched, until the cluster rebuilds the replica from a healthy one (then
//! [`super::Storage::delete_group`] releases it) — or, with no healthy replica, until an
//! operator restores it.
//!
//! Remembered across restarts: one small file per group under `quarantine/` (written and
//! synced when the group goes in), because a restart must not bring a damaged replica back
//! as a voter just because its damaged record was not read again yet.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use shoal_shardmap::GroupId;

pub(crate) struct Quarantine {
    dir: PathBuf,
    groups: Mutex<BTreeMap<u64, String>>,
}

impl Quarantine {
    /// The quarantine kept under `dir` (created when missing).
    pub(crate) fn load(dir: &Path) -> io::Result<Quarantine> {
        std::fs::create_dir_all(dir)?;
        let mut groups = BTreeMap::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(group) = name.to_str().and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            let reason = std::fs::read_to_string(entry.path())?;
            tracing::error!(
                group = %GroupId(group),
                "this node's replica of {} is quarantined: {}; it neither votes nor serves \
                 until it is rebuilt from a healthy replica",
                GroupId(group),
                reason.trim()
            );
            groups.insert(group, reason.trim().to_owned());
        }
        let quarantine = Quarantine {
            dir: dir.to_owned(),
            groups: Mutex::new(groups),
        };
        quarantine.publish();
        Ok(quarantine)
    }

    /// Puts `group` in quarantine for `reason` (the first reason stays). True when it was
    /// not there yet.
    pub(crate) fn add(&self, group: u64, reason: &str) -> bool {
        let mut groups = self.groups.lock().expect("quarantine poisoned");
        if groups.contains_key(&group) {
            return false;
        }
        groups.insert(group, reason.to_owned());
        drop(groups);
        if let Err(error) = self.write(group, reason) {
            // Still quarantined for as long as this process runs; a restart reads the
            // damaged record again and finds it again.
            tracing::error!(
                group = %GroupId(group),
                %error,
                "could not record the quarantine of {} in {}",
                GroupId(group),
                self.dir.display()
            );
        }
        tracing::error!(
            group = %GroupId(group),
            "this node's replica of {} is damaged and goes into quarantine: it stops voting \
             and serving, and the cluster rebuilds it from a healthy replica ({reason})",
            GroupId(group)
        );
        self.publish();
        true
    }

    fn write(&self, group: u64, reason: &str) -> io::Result<()> {
        let path = self.dir.join(group.to_string());
        let mut file = std::fs::File::create(&path)?;
        file.write_all(reason.as_bytes())?;
        file.sync_all()?;
        std::fs::File::open(&self.dir)?.sync_all()
    }

    /// Releases `group` (its data was deleted).
    pub(crate) fn remove(&self, group: u64) -> io::Result<()> {
        let removed = self
            .groups
            .lock()
            .expect("quarantine poisoned")
            .remove(&group)
            .is_some();
        if removed {
            match std::fs::remove_file(self.dir.join(group.to_string())) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
                _ => {}
            }
            self.publish();
        }
        Ok(())
    }

    pub(crate) fn groups(&self) -> BTreeMap<GroupId, String> {
        self.groups
            .lock()
            .expect("quarantine poisoned")
            .iter()
            .map(|(group, reason)| (GroupId(*group), reason.clone()))
            .collect()
    }

    pub(crate) fn contains(&self, group: u64) -> bool {
        self.groups
            .lock()
            .expect("quarantine poisoned")
            .contains_key(&group)
    }

    fn publish(&self) {
        let count = self.groups.lock().expect("quarantine poisoned").len();
        metrics::gauge!("shoal_replicas_quarantined").set(count as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quarantine_is_remembered_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let quarantine = Quarantine::load(dir.path()).unwrap();
        assert!(quarantine.add(7, "log entry 3 of shard 6 fails its checksum"));
        assert!(!quarantine.add(7, "another reason"));
        let again = Quarantine::load(dir.path()).unwrap();
        assert_eq!(
            again.groups(),
            BTreeMap::from([(
                GroupId(7),
                "log entry 3 of shard 6 fails its checksum".to_owned()
            )])
        );
        again.remove(7).unwrap();
        again.remove(7).unwrap();
        assert!(!again.contains(7));
        assert!(Quarantine::load(dir.path()).unwrap().groups().is_empty());
    }
}
