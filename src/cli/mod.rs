//! Command-line tools run from SSH or cron (the spec's `php install.php` and
//! OVH cron jobs). The binaries in `bin/` only call into here.

pub mod admin;
pub mod bench_seed;
pub mod ops;

use std::io::{BufRead, Write};

/// Reads a secret from `env_var`, else from the terminal without echo.
pub fn read_secret(prompt: &str, env_var: &str) -> std::io::Result<String> {
    if let Ok(v) = std::env::var(env_var) {
        return Ok(v);
    }
    let stdin = std::io::stdin();
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let saved = rustix::termios::tcgetattr(&stdin).ok();
    if let Some(mut t) = saved.clone() {
        t.local_modes.remove(rustix::termios::LocalModes::ECHO);
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &t);
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(t) = saved {
        let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &t);
        eprintln!();
    }
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
