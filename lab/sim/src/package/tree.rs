//! A package's file tree and its deterministic tar.gz form.

use flate2::{Compression, GzBuilder};
use std::collections::BTreeMap;
use std::io;

#[derive(Debug, Clone)]
enum Entry {
    Dir,
    File { mode: u32, data: Vec<u8> },
}

/// Paths relative to the archive root, kept sorted; parents are added as needed.
#[derive(Debug, Clone)]
pub struct Tree {
    entries: BTreeMap<String, Entry>,
    mtime: u64,
}

impl Tree {
    /// `mtime` stamps every entry (the build date, so packages are reproducible).
    pub fn new(mtime: u64) -> Tree {
        Tree {
            entries: BTreeMap::new(),
            mtime,
        }
    }

    pub fn dir(&mut self, path: &str) {
        let mut prefix = String::new();
        for part in path.trim_matches('/').split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            self.entries.entry(prefix.clone()).or_insert(Entry::Dir);
        }
    }

    pub fn file(&mut self, path: &str, mode: u32, data: impl Into<Vec<u8>>) {
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.dir(parent);
        }
        self.entries.insert(
            path.to_string(),
            Entry::File {
                mode,
                data: data.into(),
            },
        );
    }

    pub fn text(&mut self, path: &str, data: &str) {
        self.file(path, 0o644, data.as_bytes().to_vec());
    }

    pub fn script(&mut self, path: &str, data: &str) {
        self.file(path, 0o755, data.as_bytes().to_vec());
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        match self.entries.get(path) {
            Some(Entry::File { data, .. }) => Some(data),
            _ => None,
        }
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(|k| k.as_str())
    }

    pub fn to_tar_gz(&self) -> io::Result<Vec<u8>> {
        let gz = GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), Compression::fast());
        let mut tar = tar::Builder::new(gz);
        tar.mode(tar::HeaderMode::Deterministic);
        for (path, entry) in &self.entries {
            let mut h = tar::Header::new_ustar();
            h.set_mtime(self.mtime);
            h.set_uid(0);
            h.set_gid(0);
            h.set_username("root")?;
            h.set_groupname("root")?;
            match entry {
                Entry::Dir => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_mode(0o755);
                    h.set_size(0);
                    tar.append_data(&mut h, format!("{path}/"), io::empty())?;
                }
                Entry::File { mode, data } => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(*mode);
                    h.set_size(data.len() as u64);
                    tar.append_data(&mut h, path, data.as_slice())?;
                }
            }
        }
        tar.into_inner()?.finish()
    }
}
