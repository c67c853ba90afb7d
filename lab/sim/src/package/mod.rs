//! The vendor-named packages: deterministic tar.gz files (fixed mtimes, sorted entries, fixed
//! owners) with an md5sum-style `.md5` beside each.

pub mod jdk;
pub mod management;
mod script;
pub mod server;
pub mod tools;
mod tree;

pub use tree::Tree;

use crate::catalog::{RELEASES, Version};
use md5::{Digest, Md5};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What goes into every package besides its own files.
#[derive(Clone)]
pub struct Options {
    /// The simulator executable, shipped as `lib/hotdb-sim` in every component package.
    pub sim_binary: Arc<Vec<u8>>,
    /// The "upgrade SQL fails at statement k" variant: the hop into `to` fails at `statement`.
    pub fail_sql: Option<SqlFault>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlFault {
    pub to: Version,
    pub statement: usize,
}

impl SqlFault {
    /// Parses `2.5.5:2`.
    pub fn parse(text: &str) -> Option<SqlFault> {
        let (v, k) = text.split_once(':')?;
        Some(SqlFault {
            to: Version::parse(v)?,
            statement: k.parse().ok().filter(|k| *k > 0)?,
        })
    }
}

impl Options {
    /// Ships the running executable.
    pub fn from_current_exe() -> io::Result<Options> {
        let exe = std::env::current_exe()?;
        Ok(Options {
            sim_binary: Arc::new(std::fs::read(exe)?),
            fail_sql: None,
        })
    }
}

/// A package to be: its file name and the tree it unpacks to.
pub struct Package {
    pub file_name: String,
    pub tree: Tree,
}

/// Every package file name the generator knows, in generation order.
pub fn names() -> Vec<String> {
    let mut out = Vec::new();
    for r in RELEASES {
        out.push(r.server_package());
        out.push(r.management_package());
    }
    out.extend(tools::backup_names());
    out.extend(tools::listener_names());
    out.extend(jdk::names());
    out
}

/// Builds one package by file name.
pub fn build(name: &str, opts: &Options) -> Option<Package> {
    for r in RELEASES {
        if name == r.server_package() {
            return Some(server::package(*r, opts));
        }
        if name == r.management_package() {
            return Some(management::package(*r, opts));
        }
    }
    tools::package(name, opts).or_else(|| jdk::package(name))
}

/// Writes the packages named in `only` (all when empty) into `out`, each with its `.md5`.
pub fn generate(out: &Path, only: &[String], opts: &Options) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let wanted: Vec<String> = if only.is_empty() {
        names()
    } else {
        only.to_vec()
    };
    let mut written = Vec::new();
    for name in &wanted {
        let package = build(name, opts).ok_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("unknown package {name}"))
        })?;
        written.push(write(&package, out)?);
    }
    Ok(written)
}

/// Writes `<out>/<file_name>` and `<out>/<file_name>.md5` (`<hex>  <file_name>`).
pub fn write(package: &Package, out: &Path) -> io::Result<PathBuf> {
    let bytes = package.tree.to_tar_gz()?;
    let path = out.join(&package.file_name);
    std::fs::write(&path, &bytes)?;
    let digest = Md5::digest(&bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut md5 = std::fs::File::create(out.join(format!("{}.md5", package.file_name)))?;
    writeln!(md5, "{hex}  {}", package.file_name)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> Options {
        Options {
            sim_binary: Arc::new(b"#!/bin/sh\n".to_vec()),
            fail_sql: None,
        }
    }

    #[test]
    fn names_follow_the_vendor() {
        let names = names();
        for n in [
            "hotdb-server-2.5.4-ga-20190812.tar.gz",
            "hotdb-management-2.4.9-ga-20190417.tar.gz",
            "hotdb-backup-2.0-20190109.tar.gz",
            "hotdb-listener-0.0.1-linux.tar.gz",
            "OpenJDK8U-jdk_x64_linux_hotspot_8u252b09.tar.gz",
            "jdk-7u80-linux-x64.tar.gz",
        ] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
    }

    #[test]
    fn every_package_builds_and_is_deterministic() {
        for name in names() {
            let a = build(&name, &opts()).unwrap().tree.to_tar_gz().unwrap();
            let b = build(&name, &opts()).unwrap().tree.to_tar_gz().unwrap();
            assert_eq!(a, b, "{name}");
        }
    }

    #[test]
    fn sql_fault_parses() {
        assert_eq!(
            SqlFault::parse("2.5.5:2"),
            Some(SqlFault {
                to: Version(2, 5, 5),
                statement: 2
            })
        );
        assert_eq!(SqlFault::parse("2.5.5:0"), None);
        assert_eq!(SqlFault::parse("x"), None);
    }
}
