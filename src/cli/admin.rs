//! `mk-admin`: install and migrate the schema, create the first `super_admin`,
//! show migration status, print the route table, seed demo data.

use super::bench_seed;
use crate::api::auth;
use crate::api::routes;
use crate::config::{AppEnv, Config};
use crate::db::{self, migrate};
use crate::http::router::Access;
use crate::security::Role;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// MyKollector administration from a shell.
#[derive(Parser, Debug)]
#[command(name = "mk-admin", version, about)]
pub struct Cli {
    /// The .env file to use (default: `MK_ENV_FILE`, else .env beside the program).
    #[arg(long, global = true)]
    env_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check the database and folders, apply pending migrations (safe to run
    /// again), and optionally create the first `super_admin`.
    Install {
        /// Email of the `super_admin` to create (password from `MK_ADMIN_PASSWORD`
        /// or typed at the prompt).
        #[arg(long)]
        admin_email: Option<String>,
    },
    /// List applied and pending migrations.
    Status,
    /// Create a `super_admin` (password from `MK_ADMIN_PASSWORD` or the prompt).
    CreateAdmin {
        /// Email address.
        #[arg(long)]
        email: String,
    },
    /// Print the route table with each route's access rule.
    Routes,
    /// Insert demo data (users of each role, courses, orders…); safe to run again.
    SeedDemo,
    /// Periodic duties, for the host's cron panel: `mk-admin cron hourly`.
    Cron {
        #[command(subcommand)]
        schedule: CronSchedule,
    },
    /// Dump the whole database (one consistent snapshot) into `BACKUP_PATH`,
    /// gzip + SHA-256, keeping the 5 newest; `backup verify` checks them.
    Backup {
        #[command(subcommand)]
        action: Option<super::ops::BackupAction>,
    },
    /// Restore a backup (its checksum must match) into an empty database,
    /// or over the current one with --force.
    Restore {
        /// A file of `BACKUP_PATH` (name or path).
        file: PathBuf,
        /// Drop the database's existing tables first.
        #[arg(long)]
        force: bool,
    },
    /// Tell what this host offers (modules, database settings, disk,
    /// folders, cron) with a diagnosis and a fix for each problem.
    Doctor,
    /// Insert benchmark volumes (courses, athletes, chronos, rankings, orders)
    /// with set-based SQL; refused on a database that already has them and
    /// with `APP_ENV=production`.
    SeedBench {
        /// Courses, each with its tracking configuration (at most 10 000).
        #[arg(long, default_value_t = 1000)]
        courses: u64,
        /// Athletes (role sportif), all with the password printed at the end.
        #[arg(long, default_value_t = 20_000)]
        athletes: u64,
        /// Chronos spread over courses and athletes (about 90 % validated).
        #[arg(long, default_value_t = 100_000)]
        chronos: u64,
        /// Orders of validated chronos over four ateliers: per atelier the
        /// newest 300 wait for engraving, older ones are delivered.
        #[arg(long, default_value_t = 50_000)]
        orders: u64,
        /// Worst case of the operators' list: half of the orders in atelier
        /// BENCH-A, all of them waiting for engraving.
        #[arg(long)]
        worst_case: bool,
    },
}

#[derive(Subcommand, Debug)]
enum CronSchedule {
    /// Every task that is due (imports, retries, reminders, purges, backups);
    /// one summary line per task; exit status 1 when a task failed.
    Hourly,
}

/// Runs the CLI; the exit code tells cron and scripts whether it worked.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mk-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(env_file: Option<&Path>) -> Result<Config, String> {
    let config = match env_file {
        Some(p) => Config::load_from(Some(p)),
        None => Config::load(),
    };
    config.map_err(|e| e.to_string())
}

fn run(cli: Cli) -> Result<(), String> {
    if let Command::Routes = cli.command {
        print_routes();
        return Ok(());
    }
    let config = load_config(cli.env_file.as_deref())?;
    if let Command::SeedBench { .. } = cli.command {
        if config.app_env == AppEnv::Production {
            return Err(
                "seed-bench refuses APP_ENV=production: it creates thousands of accounts \
                 with a known password. Use a dedicated database."
                    .into(),
            );
        }
    }
    if let Command::Doctor = cli.command {
        // The doctor reports an unreachable database instead of stopping.
        let mut conn = db::connect(&config.db).ok();
        return super::ops::doctor(&config, conn.as_mut());
    }
    let mut conn = db::connect(&config.db)
        .map_err(|e| format!("cannot connect to the database {}: {e}", config.db.name))?;
    match cli.command {
        Command::Install { admin_email } => {
            println!("database {}: connected", config.db.name);
            for dir in [&config.storage_path, &config.log_path, &config.backup_path] {
                ensure_writable_dir(dir)?;
                println!("folder {}: writable", dir.display());
            }
            let applied = migrate::apply_pending(&mut conn).map_err(|e| e.log_line())?;
            if applied.is_empty() {
                println!("schema: up to date, nothing to apply");
            }
            for v in applied {
                println!("schema: applied {v}");
            }
            if let Some(email) = admin_email {
                create_admin(&mut conn, &email)?;
            }
            Ok(())
        }
        Command::Status => {
            for (version, state) in migrate::status(&mut conn).map_err(|e| e.log_line())? {
                println!("{:<10} {version}", format!("{state:?}").to_lowercase());
            }
            Ok(())
        }
        Command::CreateAdmin { email } => create_admin(&mut conn, &email),
        Command::SeedDemo => crate::demo::seed(&mut conn, &config).map_err(|e| e.log_line()),
        Command::SeedBench {
            courses,
            athletes,
            chronos,
            orders,
            worst_case,
        } => {
            let volumes = bench_seed::Volumes {
                courses,
                athletes,
                chronos,
                orders,
                worst_case,
            };
            volumes.check()?;
            bench_seed::seed(&mut conn, &volumes).map_err(|e| match e {
                bench_seed::Refusal::AlreadySeeded(n) => format!(
                    "seed-bench already ran on database {} ({n} bench courses and athletes): \
                     it does not run twice. Use a fresh database (scripts/bench.sh creates one).",
                    config.db.name
                ),
                bench_seed::Refusal::Db(e) => e.log_line(),
            })
        }
        Command::Cron {
            schedule: CronSchedule::Hourly,
        } => run_cron(&config, &mut conn, crate::cron::HOURLY),
        Command::Backup { action } => super::ops::backup(&config, &mut conn, action),
        Command::Restore { file, force } => super::ops::restore(&config, &mut conn, &file, force),
        Command::Routes | Command::Doctor => unreachable!("handled before connecting"),
    }
}

/// Prints one line per task (`cron <task>: ok|FAILED (<ms> ms) <summary>`);
/// fails when a task failed, so the host's cron mail reports it.
fn run_cron(
    config: &Config,
    conn: &mut mysql::Conn,
    tasks: &[crate::cron::Task],
) -> Result<(), String> {
    let outcomes = match crate::cron::run(config, conn, tasks) {
        Ok(outcomes) => outcomes,
        Err(crate::cron::Skipped::AlreadyRunning) => {
            println!("cron: another run is in progress, nothing done");
            return Ok(());
        }
        Err(crate::cron::Skipped::Db(e)) => return Err(e.log_line()),
    };
    let mut failed = 0;
    for o in &outcomes {
        match &o.result {
            Ok(summary) => println!("cron {}: ok ({} ms) {summary}", o.name, o.millis),
            Err(e) => {
                failed += 1;
                println!("cron {}: FAILED ({} ms) {e}", o.name, o.millis);
            }
        }
    }
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} cron task(s) failed"))
    }
}

fn create_admin(conn: &mut mysql::Conn, email: &str) -> Result<(), String> {
    let password = super::read_secret("Password for the super_admin: ", "MK_ADMIN_PASSWORD")
        .map_err(|e| e.to_string())?;
    let id = auth::create_user(conn, email, &password, Role::SuperAdmin, None, None, None)
        .map_err(|e| e.message().to_string())?;
    println!("super_admin {email} created (id {id})");
    Ok(())
}

fn ensure_writable_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let probe = dir.join(".mk-write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("{} is not writable: {e}", dir.display()))
}

fn print_routes() {
    for r in routes() {
        let access = match r.access {
            Access::Public => "public".to_string(),
            Access::Authenticated => "authenticated".to_string(),
            Access::Roles(set) => set.iter().map(|r| r.as_str()).collect::<Vec<_>>().join("|"),
        };
        println!(
            "{:<7} {:<48} {:<40} {}",
            r.method.as_str(),
            r.path,
            access,
            r.summary
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
