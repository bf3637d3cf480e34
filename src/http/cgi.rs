//! Plain CGI: one request per process, from the environment and stdin.
//!
//! The process must be gone by the time Apache has read the answer: under
//! `mod_cgi`, a CGI still alive when the request ends is sent SIGTERM and Apache
//! sleeps ~47 ms before reaping it. So the database connection is closed
//! (`COM_QUIT`) before the answer is written, the answer goes out in one
//! `write(2)` on fd 1, and the process exits at once, leaving the kernel to
//! close stdout as part of the exit: Apache sees end-of-file only once the
//! process is tearing itself down, as late as the program can make it.
//!
//! A request with after-commit jobs is the exception: the answer is written,
//! then fds 0–2 are pointed at `/dev/null` so Apache sees end-of-file and
//! finishes the request at once, and the jobs run after. Apache then sends
//! SIGTERM and, 3 s later, SIGKILL: SIGTERM is ignored meanwhile, so a job has
//! up to 3 s (anything that must happen for sure is an outbox row the cron
//! retries).

use crate::config::Config;
use crate::db::Db;
use crate::error::catalog;
use crate::http::router::{self, Table};
use crate::http::{Request, Response};
use std::os::unix::ffi::OsStringExt;

/// Serves the one request of this process, then exits.
pub fn serve_one(table: Table) -> ! {
    let config = match Config::load().and_then(|c| c.check_secrets().map(|()| c)) {
        Ok(config) => config,
        Err(e) => {
            write_all_raw(&config_error_response(&e).to_cgi_bytes());
            std::process::exit(0)
        }
    };
    let vars = std::env::vars_os()
        .map(|(k, v)| (k.into_vec(), v.into_vec()))
        .collect();
    let request = Request::from_cgi(vars, &mut std::io::stdin().lock(), &|method, path| {
        router::body_limit(table, method, path, &config)
    });
    let mut db = Db::new(config.db.clone());
    let handled = router::handle(table, &request, &config, &mut db);
    if handled.jobs.is_empty() {
        db.close();
        write_all_raw(&handled.response.to_cgi_bytes());
        std::process::exit(0)
    }
    write_all_raw(&handled.response.to_cgi_bytes());
    detach_from_apache();
    router::run_jobs(&config, &mut db, &request, handled.jobs);
    db.close();
    std::process::exit(0)
}

/// Lets Apache end the request while this process goes on: fds 0–2 (under
/// `mod_cgid`, 0 and 1 are the same socket) now point at `/dev/null`, and the
/// SIGTERM Apache sends once the request is over is ignored.
fn detach_from_apache() {
    let ignore = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, ignore);
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        let _ = rustix::stdio::dup2_stdout(&null);
        let _ = rustix::stdio::dup2_stdin(&null);
        let _ = rustix::stdio::dup2_stderr(&null);
    }
}

/// Writes the whole answer straight to fd 1. `std::io::Stdout` is
/// line-buffered: it would send the headers (up to the last newline) and the
/// body in two writes, so Apache would wake up twice.
fn write_all_raw(mut bytes: &[u8]) {
    let stdout = std::io::stdout();
    while !bytes.is_empty() {
        match rustix::io::write(&stdout, bytes) {
            Ok(0) => return,
            Ok(n) => bytes = &bytes[n..],
            Err(rustix::io::Errno::INTR) => {}
            // Apache went away: nobody is left to answer.
            Err(_) => return,
        }
    }
}

/// The answer when `.env` is missing or unsafe: a JSON 500 for the client, the
/// reason in Apache's error log.
#[must_use]
pub fn config_error_response(e: &crate::config::ConfigError) -> Response {
    eprintln!("mykollector: configuration error: {e}");
    Response::from_error(&catalog::CONFIGURATION_ERROR.err())
}
