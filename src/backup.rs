//! Spec §10.4 "Backups : DB toutes les 6h, rétention 5 backups, checksum
//! SHA256" — one code path for `mk-admin backup`, `POST /api/admin/backup`
//! and the hourly cron.
//!
//! A backup is a gzip-compressed SQL file (`mykollector-<UTC time>-<rand>.sql.gz`)
//! under `BACKUP_PATH` (outside the web root, mode 0600: it holds password
//! hashes) with `<file>.sha256` beside it in `sha256sum` format, so a host
//! without our binary can still check it and `gunzip | mysql` it.
//!
//! Consistency: every table is read inside one `START TRANSACTION WITH
//! CONSISTENT SNAPSHOT` (InnoDB MVCC), so orders and their chronos always
//! match without locking the site. Rows are read with the text protocol and
//! written back as the server printed them (exact decimals and dates), in
//! UTC (`time_zone = '+00:00'`), one statement per line, each at most
//! [`STATEMENT_BYTES`] long so any `max_allowed_packet` accepts it. The file
//! ends with [`END_MARKER`]: a truncated dump is refused even when its gzip
//! stream happens to end cleanly.
//!
//! Restore refuses a file whose checksum does not match, and a database that
//! already has tables unless forced (then it drops them first).

use crate::error::catalog;
use crate::error::{Error, Result};
use crate::security::tokens::{random_hex, to_hex};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use mysql::prelude::Queryable;
use mysql::Conn;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Backups kept by [`prune`] (spec 10.4: "rétention 5 backups").
pub const KEEP: usize = 5;
/// Age after which the cron takes a new backup (spec 10.4: "toutes les 6h").
pub const CRON_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// Longest INSERT written, far below the 1 MiB minimum `max_allowed_packet`.
const STATEMENT_BYTES: usize = 512 * 1024;
/// Last line of a complete dump.
pub const END_MARKER: &str = "-- MyKollector backup complete";
const PREFIX: &str = "mykollector-";
const SUFFIX: &str = ".sql.gz";
/// Named lock so the cron and a manual backup never write at once.
const LOCK_NAME: &str = "mykollector_backup";

/// Who asked for a backup (column `backups.declencheur`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The hourly cron, when the last backup is 6 h old.
    Cron,
    /// `mk-admin backup` or `POST /api/admin/backup`.
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Cron => "cron",
            Trigger::Manual => "manuel",
        }
    }
}

/// One backup file as listed by the API and the CLI.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BackupFile {
    /// File name inside the backup folder.
    pub fichier: String,
    /// Size in bytes of the compressed file.
    pub taille: u64,
    /// SHA-256 recorded beside it (empty when the `.sha256` file is missing).
    pub sha256: String,
    /// When it was written (UTC, ISO 8601).
    pub date: String,
    /// Age in seconds.
    pub age_secondes: u64,
}

/// Counts of one dump or restore.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Counts {
    /// Tables written or restored.
    pub tables: u64,
    /// Rows written or restored.
    pub lignes: u64,
}

/// Takes a backup of `conn`'s database into `dir`, records it in `backups`,
/// then keeps the [`KEEP`] newest. `conn` must not be inside a transaction.
pub fn create(conn: &mut Conn, dir: &Path, trigger: Trigger) -> Result<(BackupFile, Counts)> {
    let got: Option<i64> = conn.exec_first("SELECT GET_LOCK(?, 10)", (LOCK_NAME,))?;
    if got != Some(1) {
        return Err(catalog::BACKUP_RUNNING.err());
    }
    let result = create_locked(conn, dir, trigger);
    let _ = conn.exec_drop("DO RELEASE_LOCK(?)", (LOCK_NAME,));
    result
}

fn create_locked(conn: &mut Conn, dir: &Path, trigger: Trigger) -> Result<(BackupFile, Counts)> {
    std::fs::create_dir_all(dir)?;
    let stamp = crate::time::now_iso_utc().replace(['-', ':'], "");
    let name = format!(
        "{PREFIX}{}-{}{SUFFIX}",
        stamp.trim_end_matches('Z'),
        random_hex(2)
    );
    let path = dir.join(&name);
    let part = dir.join(format!("{name}.part"));
    let written = write_dump(conn, &part);
    let (sha, counts) = match written {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    std::fs::rename(&part, &path)?;
    write_private(&checksum_path(&path), format!("{sha}  {name}\n").as_bytes())?;
    let size = std::fs::metadata(&path)?.len();
    conn.exec_drop(
        "INSERT INTO backups (fichier, taille, sha256, declencheur) VALUES (?, ?, ?, ?)",
        (&name, size, &sha, trigger.as_str()),
    )?;
    prune(conn, dir)?;
    let file = describe(&path).ok_or_else(|| Error::internal("backup vanished after writing"))?;
    Ok((file, counts))
}

/// Writes the whole database to `part`; returns the SHA-256 of the file.
fn write_dump(conn: &mut Conn, part: &Path) -> Result<(String, Counts)> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(part)?;
    let hashing = HashingWriter::new(BufWriter::new(file));
    let mut gz = GzEncoder::new(hashing, Compression::default());
    // A FastCGI process keeps its connection for later requests: put its
    // time zone back afterwards.
    let zone: Option<String> = conn.query_first("SELECT @@session.time_zone")?;
    conn.query_drop("SET time_zone = '+00:00'")?;
    conn.query_drop("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")?;
    let dumped = dump_tables(conn, &mut gz);
    conn.query_drop("ROLLBACK")?;
    conn.exec_drop(
        "SET time_zone = ?",
        (zone.unwrap_or_else(|| "SYSTEM".into()),),
    )?;
    let counts = dumped?;
    let mut hashing = gz.finish()?;
    hashing.inner.flush()?;
    hashing.inner.get_ref().sync_all()?;
    Ok((to_hex(&hashing.hasher.finalize()), counts))
}

fn dump_tables(conn: &mut Conn, out: &mut impl Write) -> Result<Counts> {
    let db: Option<String> = conn.query_first("SELECT DATABASE()")?;
    writeln!(
        out,
        "-- MyKollector backup of database {} at {}\n\
         SET NAMES utf8mb4;\n\
         SET FOREIGN_KEY_CHECKS = 0;\n\
         SET UNIQUE_CHECKS = 0;\n\
         SET time_zone = '+00:00';\n\
         SET sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '');",
        db.unwrap_or_default(),
        crate::time::now_iso_utc()
    )?;
    let mut counts = Counts::default();
    for table in base_tables(conn)? {
        counts.lignes += dump_table(conn, &table, out)?;
        counts.tables += 1;
    }
    writeln!(out, "SET FOREIGN_KEY_CHECKS = 1;\n{END_MARKER}")?;
    Ok(counts)
}

/// The database's base tables (no views), in name order.
pub fn base_tables(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(conn.query(
        "SELECT TABLE_NAME FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
    )?)
}

fn dump_table(conn: &mut Conn, table: &str, out: &mut impl Write) -> Result<u64> {
    let quoted = quote_ident(table);
    let (_, create): (String, String) = conn
        .query_first(format!("SHOW CREATE TABLE {quoted}"))?
        .ok_or_else(|| Error::internal(format!("no CREATE TABLE for {table}")))?;
    writeln!(out, "-- table {table}")?;
    writeln!(out, "DROP TABLE IF EXISTS {quoted};")?;
    writeln!(out, "{};", create.replace('\n', " "))?;
    let head = format!("INSERT INTO {quoted} VALUES ");
    let mut statement = String::new();
    let mut rows = 0;
    for row in conn.query_iter(format!("SELECT * FROM {quoted}"))? {
        let values = row?.unwrap();
        let tuple = values
            .iter()
            .map(|v| v.as_sql(false))
            .collect::<Vec<_>>()
            .join(",");
        if !statement.is_empty() && statement.len() + tuple.len() + 3 > STATEMENT_BYTES {
            writeln!(out, "{statement};")?;
            statement.clear();
        }
        statement.push_str(if statement.is_empty() { &head } else { "," });
        statement.push('(');
        statement.push_str(&tuple);
        statement.push(')');
        rows += 1;
    }
    if !statement.is_empty() {
        writeln!(out, "{statement};")?;
    }
    Ok(rows)
}

fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Lists the backups of `dir`, newest first.
#[must_use]
pub fn list(dir: &Path) -> Vec<BackupFile> {
    backup_names(dir)
        .iter()
        .filter_map(|n| describe(&dir.join(n)))
        .collect()
}

/// The newest backup of `dir`, if any: only that one is described (its
/// checksum file read), however many the retention keeps.
#[must_use]
pub fn latest(dir: &Path) -> Option<BackupFile> {
    backup_names(dir)
        .iter()
        .find_map(|n| describe(&dir.join(n)))
}

/// The backup file names of `dir`, newest first (names carry their time).
fn backup_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(std::result::Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
                .collect::<Vec<_>>()
        })
        .map(|mut names| {
            names.sort_unstable_by(|a, b| b.cmp(a));
            names
        })
        .unwrap_or_default()
}

fn describe(path: &Path) -> Option<BackupFile> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?;
    let epoch = modified.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    Some(BackupFile {
        fichier: path.file_name()?.to_string_lossy().into_owned(),
        taille: meta.len(),
        sha256: recorded_checksum(path).unwrap_or_default(),
        date: crate::time::iso_utc(epoch.as_secs()),
        age_secondes: SystemTime::now()
            .duration_since(modified)
            .map_or(0, |d| d.as_secs()),
    })
}

fn checksum_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".sha256");
    PathBuf::from(s)
}

/// The checksum written beside `path` (first word of its `.sha256` file).
fn recorded_checksum(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(checksum_path(path)).ok()?;
    let sum = text.split_whitespace().next()?.to_ascii_lowercase();
    (sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit())).then_some(sum)
}

/// Deletes all but the [`KEEP`] newest backups (files and rows); returns how
/// many files went.
pub fn prune(conn: &mut Conn, dir: &Path) -> Result<usize> {
    let mut names = backup_names(dir);
    names.sort_unstable_by(|a, b| b.cmp(a));
    let old = names.split_off(names.len().min(KEEP));
    for name in &old {
        let path = dir.join(name);
        std::fs::remove_file(&path)?;
        let _ = std::fs::remove_file(checksum_path(&path));
        conn.exec_drop("DELETE FROM backups WHERE fichier = ?", (name,))?;
    }
    Ok(old.len())
}

/// Why a backup file cannot be trusted.
#[derive(Debug)]
pub enum Invalid {
    /// No `.sha256` beside it.
    NoChecksum,
    /// The file's SHA-256 differs from the recorded one.
    ChecksumMismatch {
        /// Recorded beside the file.
        expected: String,
        /// Computed now.
        actual: String,
    },
    /// The checksum matches but the content does not decompress to a whole dump.
    Truncated(String),
    /// The file cannot be read.
    Io(std::io::Error),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::NoChecksum => write!(f, "no .sha256 file beside it"),
            Invalid::ChecksumMismatch { expected, actual } => {
                write!(f, "SHA-256 mismatch: recorded {expected}, file is {actual}")
            }
            Invalid::Truncated(why) => write!(f, "incomplete dump: {why}"),
            Invalid::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Checks a backup: its SHA-256 matches the recorded one, it decompresses
/// and ends with [`END_MARKER`]. Returns its size.
pub fn verify(path: &Path) -> std::result::Result<u64, Invalid> {
    let expected = recorded_checksum(path).ok_or(Invalid::NoChecksum)?;
    let mut file = File::open(path).map_err(Invalid::Io)?;
    let mut hashing = HashingWriter::new(std::io::sink());
    let size = std::io::copy(&mut file, &mut hashing).map_err(Invalid::Io)?;
    let actual = to_hex(&hashing.hasher.finalize());
    if actual != expected {
        return Err(Invalid::ChecksumMismatch { expected, actual });
    }
    let mut last = String::new();
    for line in open_lines(path).map_err(Invalid::Io)? {
        last = line.map_err(|e| Invalid::Truncated(e.to_string()))?;
    }
    if last != END_MARKER {
        return Err(Invalid::Truncated(format!("last line is {last:?}")));
    }
    Ok(size)
}

fn open_lines(path: &Path) -> std::io::Result<std::io::Lines<BufReader<GzDecoder<File>>>> {
    Ok(BufReader::new(GzDecoder::new(File::open(path)?)).lines())
}

/// Why a restore did not happen.
#[derive(Debug)]
pub enum RestoreError {
    /// The file failed [`verify`].
    Invalid(Invalid),
    /// The database has tables and `force` was not given.
    NotEmpty(u64),
    /// A statement failed (the database is then partly restored).
    Db(Error),
}

impl std::fmt::Display for RestoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RestoreError::Invalid(why) => write!(f, "backup refused: {why}"),
            RestoreError::NotEmpty(n) => write!(
                f,
                "the database already has {n} table(s): restore only into an empty \
                 database, or pass --force to drop them first"
            ),
            RestoreError::Db(e) => write!(f, "restore failed: {}", e.log_line()),
        }
    }
}

/// Restores `path` into `conn`'s database after [`verify`]; with `force`,
/// drops the existing tables first. `progress` is called after each table.
pub fn restore(
    conn: &mut Conn,
    path: &Path,
    force: bool,
    mut progress: impl FnMut(&str, &Counts),
) -> std::result::Result<Counts, RestoreError> {
    verify(path).map_err(RestoreError::Invalid)?;
    let db_err = |e: Error| RestoreError::Db(e);
    let existing = base_tables(conn).map_err(db_err)?;
    if !existing.is_empty() && !force {
        return Err(RestoreError::NotEmpty(existing.len() as u64));
    }
    conn.query_drop("SET FOREIGN_KEY_CHECKS = 0")
        .map_err(|e| db_err(e.into()))?;
    for table in &existing {
        conn.query_drop(format!("DROP TABLE {}", quote_ident(table)))
            .map_err(|e| db_err(e.into()))?;
    }
    let lines = open_lines(path).map_err(|e| db_err(e.into()))?;
    let mut counts = Counts::default();
    let mut table = String::new();
    for line in lines {
        let line = line.map_err(|e| db_err(e.into()))?;
        if let Some(name) = line.strip_prefix("-- table ") {
            if !table.is_empty() {
                progress(&table, &counts);
            }
            table = name.to_string();
            counts.tables += 1;
            continue;
        }
        if line.is_empty() || line.starts_with("--") {
            continue;
        }
        conn.query_drop(&line)
            .map_err(|e| db_err(Error::internal(format!("table {table}: {e}"))))?;
        if line.starts_with("INSERT INTO ") {
            counts.lignes += conn.affected_rows();
        }
    }
    if !table.is_empty() {
        progress(&table, &counts);
    }
    Ok(counts)
}

/// Cron task (spec 10.4): takes a backup when the newest is [`CRON_INTERVAL`]
/// old or there is none.
pub fn cron_backup(config: &crate::config::Config, conn: &mut Conn) -> Result<String> {
    if let Some(last) = latest(&config.backup_path) {
        if last.age_secondes < CRON_INTERVAL.as_secs() {
            return Ok(format!(
                "not due (last backup {} min old)",
                last.age_secondes / 60
            ));
        }
    }
    let (file, counts) = create(conn, &config.backup_path, Trigger::Cron)?;
    Ok(format!(
        "{} written ({} tables, {} rows, {} bytes)",
        file.fichier, counts.tables, counts.lignes, file.taille
    ))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

/// Hashes every byte written through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reads the whole decompressed dump (tests, tools).
pub fn read_dump(path: &Path) -> std::io::Result<String> {
    let mut text = String::new();
    GzDecoder::new(File::open(path)?).read_to_string(&mut text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_refuses_a_tampered_or_truncated_file() {
        let dir = std::env::temp_dir().join(format!("mk-backup-test-{}", random_hex(4)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("mykollector-x.sql.gz");
        let write = |body: &str| {
            let mut gz = GzEncoder::new(Vec::new(), Compression::default());
            gz.write_all(body.as_bytes()).unwrap();
            let bytes = gz.finish().unwrap();
            std::fs::write(&path, &bytes).unwrap();
            let sum = to_hex(&Sha256::digest(&bytes));
            std::fs::write(checksum_path(&path), format!("{sum}  x\n")).unwrap();
            bytes
        };
        write(&format!("SELECT 1;\n{END_MARKER}\n"));
        assert!(verify(&path).is_ok());
        write("SELECT 1;\n");
        assert!(matches!(verify(&path), Err(Invalid::Truncated(_))));
        let mut bytes = write(&format!("SELECT 1;\n{END_MARKER}\n"));
        bytes[12] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(matches!(
            verify(&path),
            Err(Invalid::ChecksumMismatch { .. })
        ));
        std::fs::remove_file(checksum_path(&path)).unwrap();
        assert!(matches!(verify(&path), Err(Invalid::NoChecksum)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
