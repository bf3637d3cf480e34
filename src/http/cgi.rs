//! Plain CGI: one request per process, from the environment and stdin.
//!
//! The process must be gone by the time Apache has read the answer: under
//! mod_cgi, a CGI still alive when the request ends is sent SIGTERM and Apache
//! sleeps ~47 ms before reaping it. So the database connection is closed
//! (COM_QUIT) before the answer is written, the answer goes out in one
//! `write(2)` on fd 1, and the process exits at once, leaving the kernel to
//! close stdout as part of the exit: Apache sees end-of-file only once the
//! process is tearing itself down, as late as the program can make it.

use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::http::{router, Request, Response};

/// Serves the one request of this process, then exits.
pub fn serve_one() -> ! {
    let response = match Config::load().and_then(|c| c.check_secrets().map(|()| c)) {
        Ok(config) => {
            let request = Request::from_cgi(
                std::env::vars(),
                &mut std::io::stdin().lock(),
                config.max_body_bytes,
            );
            let mut db = Db::new(config.db.clone());
            let response = router::handle(&request, &config, &mut db);
            db.close();
            response
        }
        Err(e) => config_error_response(&e),
    };
    write_all_raw(&response.to_cgi_bytes());
    std::process::exit(0)
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
pub fn config_error_response(e: &crate::config::ConfigError) -> Response {
    eprintln!("mykollector: configuration error: {e}");
    let err = Error::new(
        500,
        "configuration_error",
        "Le serveur est mal configuré. L'administrateur a été prévenu.",
    );
    Response::from_error(&err)
}
