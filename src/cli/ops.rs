//! `mk-admin backup | backup verify | restore | doctor`: the operator's side
//! of [`crate::backup`] and [`crate::api::doctor`], with terminal output.

use crate::backup::{self, Trigger};
use crate::config::Config;
use clap::Subcommand;
use mysql::Conn;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `mk-admin backup` sub-actions (none = take a backup).
#[derive(Subcommand, Debug)]
pub enum BackupAction {
    /// Check the SHA-256 and completeness of one backup, or of all of them.
    Verify {
        /// A file of `BACKUP_PATH` (name or path); all when absent.
        file: Option<PathBuf>,
    },
    /// List the backups, newest first.
    List,
}

/// `mk-admin backup [verify [FILE] | list]`.
pub fn backup(
    config: &Config,
    conn: &mut Conn,
    action: Option<BackupAction>,
) -> Result<(), String> {
    let dir = &config.backup_path;
    match action {
        None => {
            let started = Instant::now();
            let (file, counts) =
                backup::create(conn, dir, Trigger::Manual).map_err(|e| e.log_line())?;
            println!(
                "backup {}: {} tables, {} rows, {} bytes, sha256 {} ({} ms)",
                file.fichier,
                counts.tables,
                counts.lignes,
                file.taille,
                file.sha256,
                started.elapsed().as_millis()
            );
            Ok(())
        }
        Some(BackupAction::List) => {
            for f in backup::list(dir) {
                println!("{}  {:>12}  {}  {}", f.date, f.taille, f.sha256, f.fichier);
            }
            Ok(())
        }
        Some(BackupAction::Verify { file }) => {
            let files: Vec<PathBuf> = match file {
                Some(f) => vec![resolve(dir, &f)],
                None => backup::list(dir)
                    .into_iter()
                    .map(|f| dir.join(f.fichier))
                    .collect(),
            };
            if files.is_empty() {
                return Err(format!("no backup in {}", dir.display()));
            }
            let mut bad = 0;
            for path in &files {
                match backup::verify(path) {
                    Ok(size) => println!("ok       {} ({size} bytes)", path.display()),
                    Err(why) => {
                        bad += 1;
                        println!("REFUSED  {}: {why}", path.display());
                    }
                }
            }
            if bad == 0 {
                Ok(())
            } else {
                Err(format!("{bad} backup(s) failed verification"))
            }
        }
    }
}

/// `mk-admin restore FILE [--force]`; progress on stderr when it is a terminal.
pub fn restore(config: &Config, conn: &mut Conn, file: &Path, force: bool) -> Result<(), String> {
    let path = resolve(&config.backup_path, file);
    let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let started = Instant::now();
    let counts = backup::restore(conn, &path, force, |table, counts| {
        if on_terminal {
            eprint!(
                "\r\x1b[Krestoring: {} tables, {} rows (last: {table})",
                counts.tables, counts.lignes
            );
        }
    })
    .map_err(|e| e.to_string())?;
    if on_terminal {
        eprintln!();
    }
    println!(
        "restored {} into database {}: {} tables, {} rows ({} ms)",
        path.display(),
        config.db.name,
        counts.tables,
        counts.lignes,
        started.elapsed().as_millis()
    );
    Ok(())
}

/// A bare file name means a file of the backup folder.
fn resolve(dir: &Path, file: &Path) -> PathBuf {
    if file.exists() || file.components().count() > 1 {
        file.to_path_buf()
    } else {
        dir.join(file)
    }
}

/// `mk-admin doctor`: one line per check; fails when one is a problem.
pub fn doctor(config: &Config, conn: Option<&mut Conn>) -> Result<(), String> {
    let checks = crate::api::doctor::checks(config, conn, None);
    let mut problems = 0;
    for c in &checks {
        println!("{:<9} {:<22} {}", c.statut, c.cle, c.valeur);
        if !c.is_ok() {
            problems += 1;
            println!("        diagnostic : {}", c.diagnostic);
            println!("        correction : {}", c.correction);
        }
    }
    if problems == 0 {
        Ok(())
    } else {
        Err(format!("{problems} problem(s) found"))
    }
}
