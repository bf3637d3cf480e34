//! Files that follow the request's transaction (issue 13: files consistent
//! with the database after a crash).
//!
//! A handler stages a file ([`crate::http::Ctx::stage_file`]): it is written
//! and fsynced as `<name>.part` at once; the dispatcher renames it into place
//! just before COMMIT and removes it on rollback. So whatever instant the
//! process dies at:
//! - before the rename: a stray `.part` and no row;
//! - between the rename and the commit: a file and no row (the server rolls
//!   the dead connection's transaction back);
//! - after the commit: the row and its file.
//!
//! A committed row therefore always has its file. What a crash can leave
//! behind (`.part` files, files no row names) is removed by the hourly
//! [`sweep`] once it is older than an hour, well past any request's life.

use crate::config::Config;
use crate::error::{Error, Result};
use mysql::prelude::Queryable;
use mysql::Conn;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Suffix of a file written but not yet renamed into place.
pub const PART_SUFFIX: &str = ".part";

/// Age past which a `.part` file or an unreferenced file is swept.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// Storage sub-directories whose every file is named by a row, with the
/// query listing the storage-relative paths that rows name.
const OWNED_DIRS: &[(&str, &str)] = &[
    (
        "lots",
        "SELECT fichier_path FROM fichiers_gravure WHERE fichier_path LIKE 'lots/%'",
    ),
    (
        "templates_dxf",
        "SELECT fichier_path FROM templates_gravure WHERE fichier_path LIKE 'templates_dxf/%'",
    ),
    (
        "preuves",
        "SELECT preuve_url FROM chronos WHERE preuve_url LIKE 'preuves/%'",
    ),
];

/// The files staged by the current request.
#[derive(Default)]
pub struct Staged {
    files: Vec<(PathBuf, PathBuf)>,
    published: usize,
}

/// `<path>.part`.
#[must_use]
pub fn part_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(PART_SUFFIX);
    PathBuf::from(name)
}

impl Staged {
    /// Writes and fsyncs `bytes` as `<path>.part`.
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let part = part_path(path);
        let mut file = std::fs::File::create(&part)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        self.files.push((part, path.to_path_buf()));
        Ok(())
    }

    /// Renames every staged file into place and syncs their directories, so
    /// the names are on disk before the commit makes the rows visible.
    pub fn publish(&mut self) -> Result<()> {
        for (part, path) in &self.files[self.published..] {
            std::fs::rename(part, path)
                .map_err(|e| Error::internal(format!("rename {}: {e}", part.display())))?;
            self.published += 1;
            if let Some(dir) = path.parent() {
                std::fs::File::open(dir).and_then(|d| d.sync_all())?;
            }
        }
        Ok(())
    }

    /// Removes the files renamed into place (their commit failed).
    pub fn unpublish(&mut self) {
        for (_, path) in &self.files[..self.published] {
            let _ = std::fs::remove_file(path);
        }
        self.published = 0;
        self.discard();
    }

    /// Removes what is still staged (rollback).
    pub fn discard(&mut self) {
        for (part, _) in self.files.drain(self.published..) {
            let _ = std::fs::remove_file(part);
        }
        self.forget();
    }

    /// The request is over: the files now belong to their rows.
    pub fn forget(&mut self) {
        self.files.clear();
        self.published = 0;
    }
}

/// Cron task: removes `.part` files and files no row names, older than an
/// hour, from the storage directories rows own.
pub fn sweep(config: &Config, conn: &mut Conn) -> Result<String> {
    let (mut parts, mut orphans) = (0, 0);
    for (dir, query) in OWNED_DIRS {
        let root = config.storage_path.join(dir);
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let named: std::collections::HashSet<String> = conn.query(*query)?.into_iter().collect();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !is_stale(&entry) {
                continue;
            }
            let is_part = name.ends_with(PART_SUFFIX);
            if is_part || !named.contains(&format!("{dir}/{name}")) {
                std::fs::remove_file(entry.path())?;
                if is_part {
                    parts += 1;
                } else {
                    orphans += 1;
                }
            }
        }
    }
    Ok(format!(
        "{parts} fichier(s) .part et {orphans} orphelin(s) supprimés"
    ))
}

fn is_stale(entry: &std::fs::DirEntry) -> bool {
    entry.metadata().is_ok_and(|m| {
        m.is_file()
            && m.modified()
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > STALE_AFTER)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "mk-staged-{name}-{}",
            crate::security::tokens::random_hex(4)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn published_files_replace_their_part() {
        let dir = tmp_dir("publish");
        let path = dir.join("a.dxf");
        let mut s = Staged::default();
        s.write(&path, b"abc").unwrap();
        assert!(part_path(&path).exists() && !path.exists());
        s.publish().unwrap();
        s.forget();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        assert!(!part_path(&path).exists());
    }

    #[test]
    fn discarded_and_unpublished_files_leave_nothing() {
        let dir = tmp_dir("discard");
        let (a, b) = (dir.join("a.dxf"), dir.join("b.dxf"));
        let mut s = Staged::default();
        s.write(&a, b"1").unwrap();
        s.discard();
        s.write(&b, b"2").unwrap();
        s.publish().unwrap();
        s.unpublish();
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }
}
