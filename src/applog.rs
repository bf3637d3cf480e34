//! The application log file (`LOG_PATH/app.log`): one line per audited
//! request and per server-side failure. Below every domain module, so mail,
//! auth and the HTTP layer all write through it.

use crate::config::Config;
use crate::time;
use std::io::Write;

/// Appends one line to `LOG_PATH/app.log`.
pub fn app_log(config: &Config, level: &str, message: &str) {
    let line = format!(
        "{} {level} {}\n",
        time::now_iso_utc(),
        message.replace('\n', " | ")
    );
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(config.log_path.join("app.log"))
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if written.is_err() {
        eprint!("mykollector: (log file not writable) {line}");
    }
}
